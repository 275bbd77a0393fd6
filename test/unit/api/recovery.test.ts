import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import type { Context, SQSEvent } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHttpSender } from "../../../functions/adapters/http-sender.ts";
import { derivedId } from "../../../functions/core/ids.ts";
import type { Delivery, DeliveryMessage, Subscription } from "../../../functions/core/model.ts";
import type { Store } from "../../../functions/core/ports.ts";
import { createDelivererHandler } from "../../../functions/deliverer/handler.ts";
import { TEST_SECRET, testDelivery, testSubscription } from "../../support/events.ts";
import {
  apiClient,
  fixedClock,
  type Invoke,
  newApp,
  QUEUE_URLS,
  testDelivererDeps,
  usePipeline,
} from "../../support/harness.ts";
import { useReceiver } from "../../support/receiver.ts";

const context = {} as Context;
const pipeline = usePipeline();
let store: Store;
let appId: string;
let apiKey: string;
let call: Invoke;
let clock: ReturnType<typeof fixedClock>;
let senders: { close(): void }[] = [];
let subscription: Subscription;

const receiver = useReceiver();
beforeEach(async () => {
  receiver.requests.length = 0;
  receiver.respond = { status: 200, body: "ok" };
  store = await pipeline.table.freshStore();
  clock = fixedClock(new Date().toISOString());
  ({ appId, apiKey } = await newApp(store, clock));
  call = apiClient(store, pipeline.messaging, clock, apiKey, {
    allowPrivateUrls: true,
    requireHttps: false,
  });
  subscription = await subscribe("sub_01JD0000000000000000000001");
});
afterEach(() => {
  for (const sender of senders) sender.close();
  senders = [];
});

async function subscribe(id: string) {
  const now = clock.now().toISOString();
  const created = testSubscription({
    id,
    url: receiver.url,
    events: ["*"],
    secrets: [{ secret: TEST_SECRET, created_at: now, expires_at: null }],
  });
  await store.createSubscription(appId, created);
  return created;
}

let events = 0;
/**
 * A delivery that failed its four attempts and was dead-lettered (unless told otherwise), of an
 * event triggered at `createdAt`: its id begins with that time.
 */
async function ended(
  overrides: Partial<Delivery> = {},
  target = subscription.id,
  createdAt = "2026-05-01T00:00:00.000Z",
) {
  // Derived, not minted: ULIDs minted now cannot go back in time.
  const eventId = derivedId("event", Date.parse(createdAt), `${++events}`);
  const attempt = {
    attempt: 4,
    at: "2026-05-01T00:10:00.000Z",
    status_code: 500,
    duration_ms: 3,
    response_body: "down",
    error: "HTTP 500",
  };
  const delivery = testDelivery(
    appId,
    eventId,
    { type: "webhook", id: target },
    {
      url: receiver.url,
      status: "dead_lettered",
      status_reason: "retries_exhausted",
      attempt_count: 4,
      last_attempt: attempt,
      ...overrides,
    },
    createdAt,
  );
  await store.createDelivery(delivery);
  return delivery;
}

/** Every message queued so far, as the deliverer's queue would hand them over. */
function queued(): DeliveryMessage[] {
  return pipeline.messaging.sqs
    .commandCalls(SendMessageBatchCommand)
    .flatMap((c) => c.args[0].input.Entries ?? [])
    .map((entry) => JSON.parse(entry.MessageBody ?? "{}"));
}

/** The deliverer, handed `messages` as its main lane's poller would. */
async function deliver(messages: DeliveryMessage[]) {
  const sender = createHttpSender({ timeoutMs: 2_000, allowPrivateUrls: true });
  senders.push(sender);
  const handler = createDelivererHandler(
    testDelivererDeps(store, pipeline.messaging, clock, sender),
  );
  const event: SQSEvent = {
    Records: messages.map((message, index) => ({
      messageId: `m-${index}`,
      receiptHandle: `rh-${index}`,
      body: JSON.stringify(message),
      attributes: {} as SQSEvent["Records"][number]["attributes"],
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:deliveries",
      awsRegion: "us-east-1",
    })),
  };
  return handler(event, context);
}

const dlqIds = async () =>
  (await call({ method: "GET", path: "/api/v2/dlq" })).body.data.map((d: { id: string }) => d.id);

describe("POST /api/v2/deliveries/{id}/retry", () => {
  it("sends a dead-lettered delivery again: same webhook-id, attempt 5, a fresh round, out of the DLQ", async () => {
    const delivery = await ended();
    const retried = await call({ method: "POST", path: `/api/v2/deliveries/${delivery.id}/retry` });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id: delivery.id, status: "pending", status_reason: null });
    expect(await dlqIds()).toEqual([]);
    await deliver(queued());
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]?.headers).toMatchObject({
      "webhook-id": delivery.id,
      "x-switchyard-attempt": "5",
    });
    expect(await store.getDelivery(appId, delivery.id)).toMatchObject({
      status: "succeeded",
      attempt_count: 5,
      round_started_at_attempt: 4,
    });
  });

  it("sends an ordered delivery again on the ordered lane, in its group, and a redrive of several in their order (SPEC §3.1)", async () => {
    const first = await ended({ ordered: true }, subscription.id, "2026-05-01T00:00:00.000Z");
    const second = await ended({ ordered: true }, subscription.id, "2026-05-01T00:01:00.000Z");
    const unordered = await ended({}, subscription.id, "2026-05-01T00:02:00.000Z");

    const redriven = await call({
      method: "POST",
      path: "/api/v2/dlq/redrive",
      body: { webhook_id: subscription.id },
    });

    expect(redriven.status).toBe(200);
    const sent = pipeline.messaging.sqs
      .commandCalls(SendMessageBatchCommand)
      .map((c) => c.args[0].input);
    const fifo = sent.filter((input) => input.QueueUrl === QUEUE_URLS.orderedDeliveryQueueUrl);
    const entries = fifo.flatMap((input) => input.Entries ?? []);
    expect(entries.map((entry) => JSON.parse(entry.MessageBody ?? "{}").delivery_id)).toEqual([
      first.id,
      second.id,
    ]);
    for (const entry of entries) {
      const message = JSON.parse(entry.MessageBody ?? "{}") as DeliveryMessage;
      expect(entry.MessageGroupId).toBe(`${appId}/${subscription.id}`);
      // Each retry is a message of its own: its ticket keeps FIFO from dropping it.
      expect(entry.MessageDeduplicationId).toBe(`${message.delivery_id}.${message.retry?.carrier}`);
    }
    const standard = sent.filter((input) => input.QueueUrl === QUEUE_URLS.deliveryQueueUrl);
    expect(
      standard
        .flatMap((input) => input.Entries ?? [])
        .map((e) => JSON.parse(e.MessageBody ?? "{}").delivery_id),
    ).toEqual([unordered.id]);
  });

  it("gives a retried delivery its retries again: a failure is retried, not dead-lettered", async () => {
    const delivery = await ended();
    await call({ method: "POST", path: `/api/v2/deliveries/${delivery.id}/retry` });
    receiver.respond = { status: 500, body: "still down" };
    await deliver(queued());
    expect(await store.getDelivery(appId, delivery.id)).toMatchObject({
      status: "failed",
      attempt_count: 5,
    });
  });

  it.each(["succeeded", "discarded"] as const)("sends a %s delivery again", async (status) => {
    const delivery = await ended({
      status,
      status_reason: status === "discarded" ? "purged" : null,
    });
    expect(
      (await call({ method: "POST", path: `/api/v2/deliveries/${delivery.id}/retry` })).status,
    ).toBe(200);
    await deliver(queued());
    expect(receiver.requests).toHaveLength(1);
  });

  it.each(["pending", "failed"] as const)(
    "answers 409 for a %s delivery, queueing nothing",
    async (status) => {
      const delivery = await ended({ status, status_reason: null });
      const answer = await call({
        method: "POST",
        path: `/api/v2/deliveries/${delivery.id}/retry`,
      });
      expect(answer.status).toBe(409);
      expect(answer.body.message).toContain("still queued");
      expect(queued()).toEqual([]);
    },
  );

  it("answers 409 for a workflow run that was never rendered", async () => {
    const delivery = await ended({ status: "discarded", status_reason: "render_failed" });
    const answer = await call({ method: "POST", path: `/api/v2/deliveries/${delivery.id}/retry` });
    expect(answer.status).toBe(409);
  });

  it("answers 404 for an unknown id, a malformed one and another app's delivery", async () => {
    const delivery = await ended();
    const other = await newApp(store, clock, "Other");
    const otherCall = apiClient(store, pipeline.messaging, clock, other.apiKey);
    for (const [invoke, id] of [
      [call, "msg_01JD0000000000000000000000ZZZZZZZZ"],
      [call, "nope"],
      [otherCall, delivery.id],
    ] as const) {
      expect(
        (await invoke({ method: "POST", path: `/api/v2/deliveries/${id}/retry` })).status,
      ).toBe(404);
    }
    expect(queued()).toEqual([]);
  });

  it("of two retries racing, one sends: the other answers 409 and its message is dropped", async () => {
    const delivery = await ended();
    const [first, second] = await Promise.all([
      call({ method: "POST", path: `/api/v2/deliveries/${delivery.id}/retry` }),
      call({ method: "POST", path: `/api/v2/deliveries/${delivery.id}/retry` }),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 409]);
    await deliver(queued());
    expect(receiver.requests).toHaveLength(1);
  });
});

describe("POST /api/v2/dlq/redrive and /purge", () => {
  it("redrives a subscription's dead letters, oldest first, and leaves another's", async () => {
    const other = await subscribe("sub_01JD0000000000000000000002");
    const mine = [
      await ended({}, subscription.id, "2026-05-01T00:00:03.000Z"),
      await ended({}, subscription.id, "2026-05-01T00:00:01.000Z"),
      await ended({}, subscription.id, "2026-05-01T00:00:02.000Z"),
    ];
    const theirs = await ended({}, other.id);
    const answer = await call({
      method: "POST",
      path: "/api/v2/dlq/redrive",
      body: { webhook_id: subscription.id },
    });
    expect(answer.body).toEqual({ redriven: 3, remaining: false, next_cursor: null, skipped: [] });
    expect(await dlqIds()).toEqual([theirs.id]);
    const oldestFirst = [mine[1], mine[2], mine[0]].map((delivery) => delivery?.id);
    expect(queued().map((message) => message.delivery_id)).toEqual(oldestFirst);
    await deliver(queued());
    expect(receiver.requests).toHaveLength(3);
  });

  it("takes 100 a call, and says when more remain", async () => {
    for (let n = 0; n < 130; n++) await ended();
    const first = await call({ method: "POST", path: "/api/v2/dlq/redrive", body: {} });
    expect(first.body).toMatchObject({ redriven: 100, remaining: true });
    const second = await call({
      method: "POST",
      path: "/api/v2/dlq/redrive",
      body: { cursor: first.body.next_cursor },
    });
    expect(second.body).toMatchObject({ redriven: 30, remaining: false });
    expect(await dlqIds()).toEqual([]);
  }, 30_000);

  it("passes over other targets' older dead letters a call at a time, and a cursor goes on past them", async () => {
    const other = await subscribe("sub_01JD0000000000000000000002");
    for (let n = 0; n < 100; n++) {
      await ended(
        {},
        other.id,
        new Date(Date.parse("2026-05-01T00:00:00Z") + n * 1000).toISOString(),
      );
    }
    const mine = await ended({}, subscription.id, "2026-05-01T01:00:00.000Z");
    // One at a time, two entries a shard: each call reads at most 64 entries.
    let after: string | undefined;
    let calls = 0;
    let found: string[] = [];
    do {
      const { deliveries, next } = await store.oldestDeadLetters(
        appId,
        { targetId: subscription.id },
        1,
        after,
      );
      found = deliveries.map((delivery) => delivery.id);
      after = next;
      calls++;
    } while (found.length === 0 && after !== undefined && calls < 20);
    expect(found).toEqual([mine.id]);
    expect(calls).toBeGreaterThan(1);
  });

  it("refuses a cursor of another selection", async () => {
    const answer = await call({
      method: "POST",
      path: "/api/v2/dlq/redrive",
      body: { webhook_id: subscription.id, cursor: "eyJ4IjoxfQ" },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe("cursor is not one this selection answered");
  });

  it("selects by creation time: since and until", async () => {
    const early = await ended({}, subscription.id, "2026-05-01T08:00:00.000Z");
    const inside = await ended({}, subscription.id, "2026-05-01T09:30:00.000Z");
    const late = await ended({}, subscription.id, "2026-05-01T11:00:00.000Z");
    const answer = await call({
      method: "POST",
      path: "/api/v2/dlq/redrive",
      body: { since: "2026-05-01T09:00:00Z", until: "2026-05-01T10:00:00Z" },
    });
    expect(answer.body).toMatchObject({ redriven: 1 });
    expect((await dlqIds()).sort()).toEqual([early.id, late.id].sort());
    expect(queued().map((m) => m.delivery_id)).toEqual([inside.id]);
  });

  it("redrives listed ids and lists those that are not dead-lettered as skipped", async () => {
    const dead = await ended();
    const pending = await ended({ status: "pending", status_reason: null });
    const answer = await call({
      method: "POST",
      path: "/api/v2/dlq/redrive",
      body: { ids: [dead.id, pending.id, "msg_nope"] },
    });
    expect(answer.body).toEqual({
      redriven: 1,
      remaining: false,
      next_cursor: null,
      skipped: [pending.id, "msg_nope"],
    });
  });

  it("purges: out of the DLQ as discarded without a request, and a later retry still sends it", async () => {
    const delivery = await ended();
    const purged = await call({
      method: "POST",
      path: "/api/v2/dlq/purge",
      body: { ids: [delivery.id] },
    });
    expect(purged.body).toEqual({ purged: 1, remaining: false, next_cursor: null, skipped: [] });
    expect(await store.getDelivery(appId, delivery.id)).toMatchObject({
      status: "discarded",
      status_reason: "purged",
    });
    expect(await dlqIds()).toEqual([]);
    expect(queued()).toEqual([]);
    await call({ method: "POST", path: `/api/v2/deliveries/${delivery.id}/retry` });
    await deliver(queued());
    expect(receiver.requests).toHaveLength(1);
  });

  it.each([
    [{ ids: [] }, "ids must hold at least 1"],
    [{ ids: ["a"], webhook_id: "sub_x" }, "not both"],
    [{ webhook_id: "sub_x", workflow_id: "wf_x" }, "webhook_id or workflow_id"],
    [{ since: "yesterday" }, "since must be an ISO 8601"],
    [
      { since: "2026-05-02T00:00:00Z", until: "2026-05-01T00:00:00Z" },
      "since must not be after until",
    ],
    [{ all: true }, '"all"'],
  ])("refuses %j with a 400, changing nothing", async (body, message) => {
    const delivery = await ended();
    const answer = await call({ method: "POST", path: "/api/v2/dlq/redrive", body });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toContain(message);
    expect(await dlqIds()).toEqual([delivery.id]);
  });

  it("never touches another app's dead letters", async () => {
    const delivery = await ended();
    const other = await newApp(store, clock, "Other");
    const otherCall = apiClient(store, pipeline.messaging, clock, other.apiKey);
    expect(
      (await otherCall({ method: "POST", path: "/api/v2/dlq/redrive", body: {} })).body,
    ).toEqual({
      redriven: 0,
      remaining: false,
      next_cursor: null,
      skipped: [],
    });
    expect(
      (await otherCall({ method: "POST", path: "/api/v2/dlq/purge", body: { ids: [delivery.id] } }))
        .body,
    ).toEqual({ purged: 0, remaining: false, next_cursor: null, skipped: [delivery.id] });
    expect(await dlqIds()).toEqual([delivery.id]);
  });
});

describe("a redrive interrupted between its steps", () => {
  it("stopped after queueing, before reopening: the message reopens it, and it is sent once", async () => {
    const delivery = await ended();
    const crashing = apiClient(
      { ...store, reopenDelivery: () => Promise.reject(new Error("stopped")) },
      pipeline.messaging,
      clock,
      apiKey,
    );
    const interrupted = await crashing({ method: "POST", path: "/api/v2/dlq/redrive", body: {} });
    expect(interrupted.status).toBe(500);
    expect(await dlqIds()).toEqual([delivery.id]); // not reopened yet
    await deliver(queued());
    expect(receiver.requests).toHaveLength(1);
    expect((await store.getDelivery(appId, delivery.id))?.status).toBe("succeeded");
    // Asked again, nothing is left to send.
    const again = await call({ method: "POST", path: "/api/v2/dlq/redrive", body: {} });
    expect(again.body).toMatchObject({ redriven: 0 });
    await deliver(queued());
    expect(receiver.requests).toHaveLength(1);
  });

  it("stopped before queueing: nothing changed, and the next redrive sends it once", async () => {
    const delivery = await ended();
    pipeline.messaging.sqs.on(SendMessageBatchCommand).rejectsOnce(new Error("stopped"));
    const interrupted = await call({ method: "POST", path: "/api/v2/dlq/redrive", body: {} });
    expect(interrupted.status).toBe(500);
    expect(await store.getDelivery(appId, delivery.id)).toMatchObject({ status: "dead_lettered" });
    pipeline.messaging.reset();
    expect(
      (await call({ method: "POST", path: "/api/v2/dlq/redrive", body: {} })).body,
    ).toMatchObject({
      redriven: 1,
    });
    await deliver(queued());
    expect(receiver.requests).toHaveLength(1);
  });
});
