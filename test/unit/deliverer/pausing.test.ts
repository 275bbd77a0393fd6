import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { describe, expect, it, vi } from "vitest";
import { messageFor } from "../../../functions/core/delivery-messages.ts";
import type { Delivery } from "../../../functions/core/model.ts";
import { type DeliverDeps, deliver } from "../../../functions/core/services/deliver.ts";
import { FAILURES_TO_PAUSE, HEALTHY } from "../../../functions/core/subscription-health.ts";
import { createDelivererHandler } from "../../../functions/deliverer/handler.ts";
import { TABLE_ACCESS } from "../../../infra/table-access.ts";
import { sqsRecords } from "../../support/events.ts";
import {
  SUBSCRIPTION,
  slowLaneTurn as turn,
  useOneSubscription,
} from "../../support/one-subscription.ts";

// Pausing happens in the slow lane, where a failing subscription's deliveries are.
const sub = useOneSubscription();
const { deliverer, newDelivery, health, advance, lastHide } = sub;

/** Fails first attempts of new deliveries until the subscription pauses. */
async function pauseSubscription(deps: DeliverDeps) {
  sub.answer = "fail";
  for (let failure = 0; failure < FAILURES_TO_PAUSE; failure++)
    await turn(deps, await newDelivery());
}

describe("pausing a subscription whose receiver keeps failing", () => {
  it("writes nothing about health while deliveries succeed", async () => {
    const deps = deliverer();
    const writes = (["recordFailure", "pause", "claimProbe", "failProbe", "resume"] as const).map(
      (method) => vi.spyOn(sub.store, method),
    );
    for (let n = 0; n < 3; n++) await turn(deps, await newDelivery());
    expect(sub.sent).toHaveLength(3);
    for (const write of writes) expect(write).not.toHaveBeenCalled();
    expect(await sub.pipeline.table.items("subscription_health")).toEqual([]);
  });

  it("counts failures in a row, and a success forgets them", async () => {
    const deps = deliverer();
    sub.answer = "fail";
    await turn(deps, await newDelivery());
    await turn(deps, await newDelivery());
    expect(await health()).toMatchObject({ failures: 2, paused_until: null });
    sub.answer = "ok";
    await turn(deps, await newDelivery());
    expect(await health()).toEqual(HEALTHY);
  });

  it("pauses at the fifth failure in a row, for the retry policy's first backoff", async () => {
    const deps = deliverer();
    sub.answer = "fail";
    const outcomes = [];
    for (let n = 0; n < FAILURES_TO_PAUSE; n++)
      outcomes.push(await turn(deps, await newDelivery()));
    expect(outcomes.slice(0, -1).map((outcome) => "health" in outcome && outcome.health)).toEqual([
      null,
      null,
      null,
      null,
    ]);
    expect(outcomes.at(-1)).toMatchObject({
      kind: "retrying",
      health: {
        change: "paused",
        subscription_id: SUBSCRIPTION,
        until: "2026-11-23T02:00:30.000Z",
      },
    });
    expect(await health()).toMatchObject({
      failures: 5,
      paused_until: "2026-11-23T02:00:30.000Z",
      pauses: 1,
    });
  });

  it("holds a delivery while paused: no request, no attempt, its message hidden until the pause ends", async () => {
    const deps = deliverer();
    await pauseSubscription(deps);
    const held = await newDelivery();
    sub.sent = [];
    expect(await turn(deps, held)).toEqual({
      kind: "held",
      reason: "paused",
      until: new Date("2026-11-23T02:00:30.000Z"),
    });
    expect(sub.sent).toEqual([]);
    expect(await sub.store.getDelivery(sub.appId, held.id)).toMatchObject({
      status: "pending",
      attempt_count: 0,
    });
    expect(lastHide()).toBe(30);
  });

  it("spreads held deliveries over up to a tenth of the pause (1 to 5 s) after it ends", async () => {
    const deps = deliverer(() => 0.5);
    await pauseSubscription(deps);
    expect(await turn(deps, await newDelivery())).toMatchObject({
      kind: "held",
      until: new Date("2026-11-23T02:00:31.500Z"), // 30 s, and half of 3 s
    });
    expect(lastHide()).toBe(32);
  });

  it("knows its own pause and resume at once, without reading the record again", async () => {
    const deps = deliverer();
    await pauseSubscription(deps);
    const reads = vi.spyOn(sub.store, "getHealth");
    expect(await turn(deps, await newDelivery())).toMatchObject({ kind: "held" });
    expect(reads).not.toHaveBeenCalled();
    advance(30);
    sub.answer = "ok";
    const probe = await turn(deps, await newDelivery());
    expect(probe).toMatchObject({ kind: "succeeded", health: { change: "resumed" } });
    reads.mockClear();
    expect(await turn(deps, await newDelivery())).toMatchObject({
      kind: "succeeded",
      health: null,
    });
    expect(reads).not.toHaveBeenCalled();
  });

  it("knows a failed probe's longer pause at once, without reading the record again", async () => {
    const deps = deliverer();
    await pauseSubscription(deps);
    advance(30);
    await turn(deps, await newDelivery()); // the probe fails: paused for 60 s
    const reads = vi.spyOn(sub.store, "getHealth");
    advance(3);
    expect(await turn(deps, await newDelivery())).toMatchObject({
      kind: "held",
      until: new Date("2026-11-23T02:01:30.000Z"),
    });
    expect(reads).not.toHaveBeenCalled();
  });

  it("sees another deliverer's pause at once when its own attempt fails, and holds from then on", async () => {
    await pauseSubscription(deliverer());
    const other = deliverer(); // its cache has not read the record yet
    sub.sent = [];
    expect(await turn(other, await newDelivery())).toMatchObject({ kind: "held" });
    expect(sub.sent).toEqual([]);
  });

  it("lets one delivery probe when the pause is over, while the others wait for it", async () => {
    const deps = deliverer();
    await pauseSubscription(deps);
    advance(30);
    sub.answer = "ok";
    const waiting = await newDelivery();
    sub.sent = [];
    // Another deliverer has claimed the probe first…
    const paused = await health();
    expect(
      await sub.store.claimProbe(
        sub.appId,
        SUBSCRIPTION,
        String(paused.paused_until),
        "2026-11-23T02:00:45.000Z",
        sub.clock.now().toISOString(),
      ),
    ).toBe(true);
    // …so this one waits until that probe's lease ends, sending nothing.
    expect(await turn(deps, waiting)).toMatchObject({
      kind: "held",
      reason: "paused",
      until: new Date("2026-11-23T02:00:45.000Z"),
    });
    expect(sub.sent).toEqual([]);
  });

  it("resumes after a successful probe, and the held deliveries then go out", async () => {
    const deps = deliverer();
    await pauseSubscription(deps);
    const held = await newDelivery();
    await turn(deps, held);
    advance(30);
    sub.answer = "ok";
    sub.sent = [];
    const probe = await newDelivery();
    expect(await turn(deps, probe)).toMatchObject({
      kind: "succeeded",
      health: { change: "resumed", subscription_id: SUBSCRIPTION },
    });
    expect(await health()).toEqual(HEALTHY);
    advance(5); // the held message comes back
    expect(await turn(deps, held)).toMatchObject({ kind: "succeeded", health: null });
    expect(sub.sent).toHaveLength(2);
  });

  it("pauses again for twice as long when the probe fails", async () => {
    const deps = deliverer();
    await pauseSubscription(deps);
    advance(30);
    expect(await turn(deps, await newDelivery())).toMatchObject({
      kind: "retrying",
      health: { change: "paused", until: "2026-11-23T02:01:30.000Z" },
    });
    expect(await health()).toMatchObject({ failures: 6, pauses: 2, probe_until: null });
    advance(60);
    await turn(deps, await newDelivery());
    expect(await health()).toMatchObject({ pauses: 3, paused_until: "2026-11-23T02:03:30.000Z" });
  });

  it("lets exactly one of two deliverers probe when both find the pause over", async () => {
    const [one, two] = [deliverer(), deliverer()];
    await pauseSubscription(one);
    advance(30);
    sub.answer = "ok";
    sub.sent = [];
    const outcomes = await Promise.all([
      turn(one, await newDelivery()),
      turn(two, await newDelivery()),
    ]);
    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(["held", "succeeded"]);
    expect(sub.sent).toHaveLength(1);
  });

  it("dead-letters a delivery held longer than four times its retry schedule", async () => {
    const deps = deliverer();
    await pauseSubscription(deps);
    const held = await newDelivery();
    await turn(deps, held);
    // The schedule is at most 33 + 132 + 528 s; four times that is 2,772 s after creation.
    advance(2_771);
    await stillPausedUntil("2026-11-23T05:00:00.000Z");
    expect(await turn(deliverer(), held)).toMatchObject({ kind: "held" });
    expect(lastHide()).toBe(1); // hidden no longer than its limit
    advance(1);
    expect(await turn(deliverer(), held)).toEqual({
      kind: "dead_lettered",
      reason: "subscription_paused",
      attempt: null,
      disabled: null,
    });
    expect(await sub.store.getDelivery(sub.appId, held.id)).toMatchObject({
      status: "dead_lettered",
      status_reason: "subscription_paused",
      attempt_count: 0,
    });
  });
});

describe("pausing an ordered subscription (SPEC §3.1)", () => {
  it("counts an ordered delivery's hold from its first turn, not from when it was made: waiting behind its group is not its schedule", async () => {
    const deps = deliverer();
    await pauseSubscription(deps);
    const current = await sub.store.getSubscription(sub.appId, SUBSCRIPTION);
    if (!current) throw new Error("no subscription");
    expect(await sub.store.replaceSubscription(sub.appId, { ...current, ordered: true })).toBe(
      true,
    );
    const waited = await newDelivery();
    expect(waited.ordered).toBe(true);
    // It waited in its group longer than a delivery may be held; now it is first, and paused.
    advance(2_772 + 60);
    await stillPausedUntil("2026-11-23T05:00:00.000Z");

    const outcome = await deliver(deliverer(), messageFor(waited), {
      messageId: "m-ordered",
      receiptHandle: "rh-ordered",
      lane: "ordered",
    });

    expect(outcome).toMatchObject({ kind: "held", reason: "paused" });
    expect(await sub.store.getDelivery(sub.appId, waited.id)).toMatchObject({ status: "pending" });
  });
});

/** The receiver has kept failing its probes: the subscription is paused until `until`. */
async function stillPausedUntil(until: string) {
  await sub.store.resume(sub.appId, SUBSCRIPTION);
  for (let failure = 0; failure < FAILURES_TO_PAUSE; failure++) {
    await sub.store.recordFailure(sub.appId, SUBSCRIPTION, "2026-11-23T02:00:00.000Z");
  }
  await sub.store.pause(sub.appId, SUBSCRIPTION, until);
}

describe("the deliverer's role", () => {
  it("holds every DynamoDB action a delivery's turns call, through a pause and a resume", async () => {
    const send = vi.spyOn(DynamoDBDocumentClient.prototype, "send");
    const called = new Set<string>();
    /**
     * A turn of the delivery's slow-lane message, through the handler as Lambda runs it, with
     * the DynamoDB commands it sent (and only those) noted.
     */
    const noted = async (deps: DeliverDeps, delivery: Delivery) => {
      send.mockClear();
      const event = sqsRecords({
        v: 1,
        app_id: delivery.app_id,
        delivery_id: delivery.id,
        slow_lane: { carrier: `t-${delivery.id}`, from: `m-${delivery.id}` },
      });
      for (const record of event.Records) {
        record.eventSourceARN = "arn:aws:sqs:us-east-1:123456789012:deliveries-slow";
      }
      await createDelivererHandler(deps)(event, {} as Context);
      for (const [command] of send.mock.calls) called.add(command.constructor.name);
    };
    const deps = deliverer();
    sub.answer = "fail";
    for (let failure = 0; failure < FAILURES_TO_PAUSE; failure++) {
      await noted(deps, await newDelivery()); // the last one pauses
    }
    const held = await newDelivery();
    await noted(deps, held);
    advance(30);
    sub.answer = "ok";
    await noted(deps, await newDelivery()); // the probe, and the resume
    advance(2_772);
    await stillPausedUntil("2026-11-23T05:00:00.000Z");
    await noted(deliverer(), held); // held too long: dead-lettered
    const iam: Record<string, string> = {
      BatchGetCommand: "BatchGetItem",
      GetCommand: "GetItem",
      PutCommand: "PutItem",
      UpdateCommand: "UpdateItem",
      DeleteCommand: "DeleteItem",
      QueryCommand: "Query",
    };
    const actions = new Set([...called].map((name) => iam[name] ?? name));
    // Every action called is granted; the one grant these turns do not use is PutItem, for
    // the attempts beyond a delivery's fourth, written to items of their own.
    expect(TABLE_ACCESS.deliverer.filter((action) => !actions.has(action))).toEqual(["PutItem"]);
    expect(
      [...actions].filter((action) => !TABLE_ACCESS.deliverer.includes(action as never)),
    ).toEqual([]);
  });
});
