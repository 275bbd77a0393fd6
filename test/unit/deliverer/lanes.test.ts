import { ChangeMessageVisibilityCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { describe, expect, it, vi } from "vitest";
import type { DeliveryMessage, SlowLaneTicket } from "../../../functions/core/model.ts";
import type { DeliverDeps } from "../../../functions/core/services/deliver.ts";
import { FAILURES_TO_PAUSE, HEALTHY } from "../../../functions/core/subscription-health.ts";
import { QUEUE_URLS } from "../../support/harness.ts";
import {
  mainLaneTurn,
  SUBSCRIPTION,
  slowLaneTurn,
  useOneSubscription,
} from "../../support/one-subscription.ts";

const sub = useOneSubscription();
const { newDelivery, health, advance } = sub;

/** A deliverer that marks a subscription slow once a main-lane request is 20 ms unanswered. */
const watchful = (): DeliverDeps => ({ ...sub.deliverer(), slowAfterMs: 20 });

/** The messages forwarded to the slow lane so far, oldest first. */
const forwarded = (): DeliveryMessage[] =>
  sub.pipeline.messaging.sqs
    .commandCalls(SendMessageCommand)
    .filter((call) => call.args[0].input.QueueUrl === QUEUE_URLS.slowDeliveryQueueUrl)
    .map((call) => JSON.parse(call.args[0].input.MessageBody ?? "null"));

const ticketOf = (deliveryId: string): SlowLaneTicket => {
  const ticket = forwarded().findLast((message) => message.delivery_id === deliveryId)?.slow_lane;
  if (!ticket) throw new Error(`${deliveryId} was not forwarded`);
  return ticket;
};

/** The queue of the deliverer's last visibility change. */
const lastHiddenOn = () =>
  sub.pipeline.messaging.sqs.commandCalls(ChangeMessageVisibilityCommand).at(-1)?.args[0].input
    .QueueUrl;

const owner = async (deliveryId: string) =>
  (await sub.store.getDelivery(sub.appId, deliveryId))?.owner_message_id;

describe("the main lane", () => {
  it("delivers a healthy subscription's deliveries itself, writing no health and forwarding nothing", async () => {
    const deps = watchful();
    for (let n = 0; n < 3; n++) {
      expect(await mainLaneTurn(deps, await newDelivery())).toMatchObject({
        kind: "succeeded",
        health: null,
        slow: null,
      });
    }
    expect(sub.sent).toHaveLength(3);
    expect(forwarded()).toEqual([]);
    expect(await sub.pipeline.table.items("subscription_health")).toEqual([]);
  });

  it("forwards a failing subscription's deliveries to the slow lane without a request", async () => {
    const deps = sub.deliverer();
    sub.answer = "fail";
    const failed = await newDelivery();
    expect(await mainLaneTurn(deps, failed)).toMatchObject({ kind: "retrying" });
    const next = await newDelivery();

    expect(await mainLaneTurn(deps, next)).toEqual({ kind: "diverted" });
    advance(30); // the failed one's backoff is over: its retry goes by the slow lane too
    expect(await mainLaneTurn(deps, failed)).toEqual({ kind: "diverted" });
    expect(sub.sent).toHaveLength(1);
    expect(forwarded()).toEqual([
      {
        v: 1,
        app_id: sub.appId,
        delivery_id: next.id,
        slow_lane: { carrier: expect.any(String), from: `m-${next.id}` },
      },
      {
        v: 1,
        app_id: sub.appId,
        delivery_id: failed.id,
        slow_lane: { carrier: expect.any(String), from: `m-${failed.id}` },
      },
    ]);
    expect(ticketOf(next.id).carrier).not.toBe(ticketOf(failed.id).carrier);
  });

  it("forwards a paused subscription's deliveries, and the slow lane holds them", async () => {
    const deps = sub.deliverer();
    sub.answer = "fail";
    for (let failure = 0; failure < FAILURES_TO_PAUSE; failure++) {
      await slowLaneTurn(deps, await newDelivery());
    }
    sub.sent = [];
    const held = await newDelivery();
    expect(await mainLaneTurn(deps, held)).toEqual({ kind: "diverted" });
    expect(await slowLaneTurn(deps, held, ticketOf(held.id))).toMatchObject({
      kind: "held",
      reason: "paused",
    });
    expect(sub.sent).toEqual([]);
    expect(sub.lastHide()).toBe(30);
    expect(lastHiddenOn()).toBe(QUEUE_URLS.slowDeliveryQueueUrl);
  });

  it("hides a backoff on the queue the message came from", async () => {
    const deps = sub.deliverer();
    sub.answer = "fail";
    const delivery = await newDelivery();
    await mainLaneTurn(deps, delivery);
    expect(lastHiddenOn()).toBe(QUEUE_URLS.deliveryQueueUrl);
    advance(30);
    await mainLaneTurn(deps, delivery);
    expect(await slowLaneTurn(deps, delivery, ticketOf(delivery.id))).toMatchObject({
      kind: "retrying",
    });
    expect(lastHiddenOn()).toBe(QUEUE_URLS.slowDeliveryQueueUrl);
  });
});

describe("a delivery forwarded to the slow lane", () => {
  /** A delivery whose first attempt failed in the main lane, forwarded once its retry is due. */
  async function forwardedRetry(deps: DeliverDeps) {
    sub.answer = "fail";
    const delivery = await newDelivery();
    await mainLaneTurn(deps, delivery);
    advance(30);
    await mainLaneTurn(deps, delivery);
    sub.answer = "ok";
    return delivery;
  }

  it("is taken over by the slow lane's message at its next attempt", async () => {
    const deps = sub.deliverer();
    const delivery = await forwardedRetry(deps);
    expect(await owner(delivery.id)).toBe(`m-${delivery.id}`);
    const ticket = ticketOf(delivery.id);

    expect(await slowLaneTurn(deps, delivery, ticket)).toMatchObject({
      kind: "succeeded",
      attempt: { attempt: 2 },
    });
    expect(await owner(delivery.id)).toBe(ticket.carrier);
    // Its delivery-queue message, back because it was not deleted, finds it carried on.
    expect(await mainLaneTurn(deps, delivery)).toEqual({ kind: "skipped" });
    expect(sub.sent).toHaveLength(2);
  });

  it("is carried by one message when the main lane forwarded it twice: the other is dropped", async () => {
    const deps = sub.deliverer();
    const delivery = await forwardedRetry(deps);
    const first = ticketOf(delivery.id);
    await mainLaneTurn(deps, delivery); // its message came back before it was deleted
    const second = ticketOf(delivery.id);
    expect(second.carrier).not.toBe(first.carrier);

    expect(await slowLaneTurn(deps, delivery, second)).toMatchObject({ kind: "succeeded" });
    expect(await slowLaneTurn(deps, delivery, first)).toEqual({ kind: "skipped" });
    expect(sub.sent).toHaveLength(2);
  });

  it("is dropped when the message that forwarded it no longer carries the delivery", async () => {
    const deps = sub.deliverer();
    const delivery = await forwardedRetry(deps);
    const stale = { carrier: "t-stale", from: "m-an-old-copy" };
    expect(await slowLaneTurn(deps, delivery, stale)).toEqual({ kind: "skipped" });
    expect(sub.sent).toHaveLength(1);
  });

  it("is dead-lettered without its ticket: the copy in the DLQ names the delivery alone", async () => {
    const deps = sub.deliverer();
    const delivery = await forwardedRetry(deps);
    sub.answer = "fail";
    const ticket = ticketOf(delivery.id);
    for (const backoff of [120, 480]) {
      await slowLaneTurn(deps, delivery, ticket);
      advance(backoff);
    }
    expect(await slowLaneTurn(deps, delivery, ticket)).toMatchObject({ kind: "dead_lettered" });
    const deadLetters = sub.pipeline.messaging.sqs
      .commandCalls(SendMessageCommand)
      .filter((call) => call.args[0].input.QueueUrl === QUEUE_URLS.deadLetterQueueUrl)
      .map((call) => JSON.parse(call.args[0].input.MessageBody ?? "null"));
    expect(deadLetters).toEqual([
      {
        v: 1,
        app_id: sub.appId,
        delivery_id: delivery.id,
        dead_letter: { reason: "retries_exhausted", at: expect.any(String) },
      },
    ]);
  });
});

describe("a slow receiver", () => {
  it("is marked slow, in one write, when a main-lane request is unanswered after the threshold", async () => {
    const deps = watchful();
    const marks = vi.spyOn(sub.store, "markSlow");
    sub.answer = { delayMs: 80 };

    expect(await mainLaneTurn(deps, await newDelivery())).toMatchObject({
      kind: "succeeded",
      health: null,
      slow: { subscription_id: SUBSCRIPTION, until: "2026-11-23T02:01:00.000Z" },
    });
    expect(marks).toHaveBeenCalledTimes(1);
    expect(await health()).toMatchObject({ failures: 0, slow_until: "2026-11-23T02:01:00.000Z" });
    // This container diverts at once; another one as soon as it reads the record.
    expect(await mainLaneTurn(deps, await newDelivery())).toEqual({ kind: "diverted" });
    expect(await mainLaneTurn(watchful(), await newDelivery())).toEqual({ kind: "diverted" });
    expect(sub.sent).toHaveLength(1);
  });

  it("is served by the slow lane, whose successes write nothing while its mark lives", async () => {
    const deps = watchful();
    sub.answer = { delayMs: 80 };
    await mainLaneTurn(deps, await newDelivery());
    const writes = (["markSlow", "recordFailure", "resume"] as const).map((method) =>
      vi.spyOn(sub.store, method),
    );
    const delivery = await newDelivery();
    await mainLaneTurn(deps, delivery);
    advance(59);
    expect(await slowLaneTurn(deps, delivery, ticketOf(delivery.id))).toMatchObject({
      kind: "succeeded",
      slow: null,
    });
    for (const write of writes) expect(write).not.toHaveBeenCalled();
  });

  it("has its mark renewed from the slow lane once it lapses, so it stays there", async () => {
    const deps = watchful();
    sub.answer = { delayMs: 80 };
    await mainLaneTurn(deps, await newDelivery());
    const delivery = await newDelivery();
    await mainLaneTurn(deps, delivery);
    advance(60);
    expect(await slowLaneTurn(deps, delivery, ticketOf(delivery.id))).toMatchObject({
      kind: "succeeded",
      slow: { subscription_id: SUBSCRIPTION, until: "2026-11-23T02:02:00.000Z" },
    });
    expect(await mainLaneTurn(watchful(), await newDelivery())).toEqual({ kind: "diverted" });
  });

  it("takes the main lane again a minute after its mark", async () => {
    sub.answer = { delayMs: 80 };
    await mainLaneTurn(watchful(), await newDelivery());
    sub.answer = "ok";
    advance(59);
    expect(await mainLaneTurn(watchful(), await newDelivery())).toEqual({ kind: "diverted" });
    advance(1);
    expect(await mainLaneTurn(watchful(), await newDelivery())).toMatchObject({
      kind: "succeeded",
    });
  });

  it("is not marked for a request answered within the threshold", async () => {
    sub.answer = { delayMs: 1 };
    expect(await mainLaneTurn(watchful(), await newDelivery())).toMatchObject({ slow: null });
    expect(await sub.pipeline.table.items("subscription_health")).toEqual([]);
  });

  it("adds its mark to what the cache holds after the write, keeping a pause learnt meanwhile", async () => {
    const deps = watchful();
    const pausedMeanwhile = {
      ...HEALTHY,
      failures: 5,
      pauses: 1,
      paused_until: "2026-11-23T02:00:30.000Z",
    };
    const write = sub.store.markSlow.bind(sub.store);
    vi.spyOn(sub.store, "markSlow").mockImplementationOnce(async (...args) => {
      // Another turn of this container pauses the subscription while the mark is written.
      deps.health?.set(sub.appId, SUBSCRIPTION, pausedMeanwhile);
      return write(...args);
    });
    sub.answer = { delayMs: 80 };
    await mainLaneTurn(deps, await newDelivery());
    expect(await deps.health?.get(sub.appId, SUBSCRIPTION)).toEqual({
      ...pausedMeanwhile,
      slow_until: "2026-11-23T02:01:00.000Z",
    });
  });

  it("keeps its attempt when the mark cannot be written, and says why", async () => {
    vi.spyOn(sub.store, "markSlow").mockRejectedValueOnce(new Error("throttled"));
    sub.answer = { delayMs: 80 };
    const delivery = await newDelivery();
    expect(await mainLaneTurn(watchful(), delivery)).toMatchObject({
      kind: "succeeded",
      slow: { subscription_id: SUBSCRIPTION, error: new Error("throttled") },
    });
    expect(await sub.store.getDelivery(sub.appId, delivery.id)).toMatchObject({
      status: "succeeded",
    });
  });
});
