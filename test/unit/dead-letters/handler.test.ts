import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { Context, SQSEvent } from "aws-lambda";
import { beforeEach, describe, expect, it } from "vitest";
import type { Delivery, DeliveryMessage } from "../../../functions/core/model.ts";
import type { Store } from "../../../functions/core/ports.ts";
import { webhookDelivery } from "../../../functions/core/routing.ts";
import { createDeadLetterHandler } from "../../../functions/dead-letters/handler.ts";
import { appEvent, testSubscription } from "../../support/events.ts";
import { apiClient, fixedClock, newApp, usePipeline } from "../../support/harness.ts";

const context = {} as Context;
const pipeline = usePipeline();

let store: Store;
let appId: string;
let apiKey: string;
let clock: ReturnType<typeof fixedClock>;

beforeEach(async () => {
  store = await pipeline.table.freshStore();
  clock = fixedClock("2026-11-23T02:00:00.000Z");
  ({ appId, apiKey } = await newApp(store, clock));
});

const consumer = () => createDeadLetterHandler({ store, bus: pipeline.messaging.bus, clock });

/** A delivery in the store, as the fan-out wrote it, with one failed attempt unless told. */
async function failedDelivery(
  options: { attempts?: number; eventId?: string; platform?: boolean } = {},
): Promise<Delivery> {
  const subscription = testSubscription();
  const event = appEvent(appId, {
    event_id: options.eventId ?? "evt_01JD0000000000000000000000",
    ...(options.platform && { type: "event_definition.changed", platform: true }),
  });
  const delivery = webhookDelivery(subscription, event, event.payload ?? {}, clock.now());
  await store.createDelivery(delivery);
  for (let attempt = 1; attempt <= (options.attempts ?? 1); attempt++) {
    await store.recordAttempt(appId, delivery.id, {
      attempt: {
        attempt,
        at: "2026-11-23T01:30:00.000Z",
        status_code: 500,
        duration_ms: 3,
        response_body: "down",
        error: "HTTP 500",
      },
      status: "failed",
      expectedAttemptCount: attempt - 1,
      messageId: "m-original",
    });
  }
  return delivery;
}

/** An SQS event of the dead-letter queue holding these message bodies. */
function dlqEvent(...bodies: (DeliveryMessage | string)[]): SQSEvent {
  return {
    Records: bodies.map((body, index) => ({
      messageId: `d-${index}`,
      receiptHandle: `rh-${index}`,
      body: typeof body === "string" ? body : JSON.stringify(body),
      attributes: {} as SQSEvent["Records"][number]["attributes"],
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:deliveries-dlq",
      awsRegion: "us-east-1",
    })),
  };
}

const messageOf = (delivery: Delivery, stamp?: DeliveryMessage["dead_letter"]) => ({
  v: 1 as const,
  app_id: delivery.app_id,
  delivery_id: delivery.id,
  ...(stamp && { dead_letter: stamp }),
});
const stored = (delivery: Delivery) => store.getDelivery(appId, delivery.id);

describe("a message the delivery queue's own redrive moved to the DLQ", () => {
  it("dead-letters its delivery as the deliverer would, so GET /api/v2/dlq lists it", async () => {
    const delivery = await failedDelivery();
    const result = await consumer()(dlqEvent(messageOf(delivery)), context);
    expect(result).toEqual({ batchItemFailures: [] }); // the message is deleted

    expect(await stored(delivery)).toMatchObject({
      status: "dead_lettered",
      status_reason: "receive_limit",
      attempt_count: 1,
      updated_at: clock.now().toISOString(),
    });
    const notices = pipeline.messaging.publishedEvents();
    expect(notices).toEqual([
      expect.objectContaining({
        type: "delivery.dead_lettered",
        platform: true,
        linked_account_id: "acme",
        payload: expect.objectContaining({
          id: delivery.id,
          status: "dead_lettered",
          status_reason: "receive_limit",
          attempt_count: 1,
          last_attempt: expect.objectContaining({ attempt: 1, status_code: 500 }),
        }),
      }),
    ]);
    const call = apiClient(store, pipeline.messaging, clock, apiKey);
    const dlq = await call({ method: "GET", path: "/api/v2/dlq" });
    expect(dlq.body.data).toEqual([
      expect.objectContaining({ id: delivery.id, status_reason: "receive_limit" }),
    ]);
  });

  it("dead-letters a delivery that was never attempted", async () => {
    const delivery = await failedDelivery({ attempts: 0 });
    await consumer()(dlqEvent(messageOf(delivery)), context);
    expect(await stored(delivery)).toMatchObject({
      status: "dead_lettered",
      attempt_count: 0,
      last_attempt: null,
    });
  });

  it("tells subscribers before marking, with a notice id that a second try repeats", async () => {
    const delivery = await failedDelivery();
    pipeline.messaging.eventBridge.on(PutEventsCommand).rejectsOnce(new Error("bus down"));
    const failed = await consumer()(dlqEvent(messageOf(delivery)), context);
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: "d-0" }]);
    expect((await stored(delivery))?.status).toBe("failed"); // not marked before the notice

    const [first] = pipeline.messaging.publishedEvents();
    pipeline.messaging.reset();
    clock.set("2026-11-23T02:05:00.000Z");
    const retried = await consumer()(dlqEvent(messageOf(delivery)), context);
    expect(retried.batchItemFailures).toEqual([]);
    expect((await stored(delivery))?.status).toBe("dead_lettered");
    // Derived from the delivery, not the time: the fan-out makes one delivery of it.
    const [second] = pipeline.messaging.publishedEvents();
    expect(second?.event_id).toBe(first?.event_id);
  });

  it("marks a delivery of a platform event without emitting another platform event", async () => {
    const delivery = await failedDelivery({ platform: true });
    await consumer()(dlqEvent(messageOf(delivery)), context);
    expect((await stored(delivery))?.status).toBe("dead_lettered");
    expect(pipeline.messaging.eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });
});

describe("a redrive's dead letter and a subscription failing too long (SPEC §3.1)", () => {
  const disabling = () =>
    createDeadLetterHandler({
      store,
      bus: pipeline.messaging.bus,
      clock,
      disableAfterHours: 120,
    });

  it("disables a subscription whose attempts have all failed for the configured hours, and tells", async () => {
    const subscription = testSubscription();
    await store.createSubscription(appId, subscription);
    const delivery = await failedDelivery();
    // Failing since 121 hours before now.
    await store.recordFailure(appId, subscription.id, "2026-11-18T01:00:00.000Z");

    const result = await disabling()(dlqEvent(messageOf(delivery)), context);

    expect(result).toEqual({ batchItemFailures: [] });
    expect(await store.getSubscription(appId, subscription.id)).toMatchObject({
      enabled: false,
      disabled_reason: "failing",
      failing_since: "2026-11-18T01:00:00.000Z",
    });
    expect(pipeline.messaging.publishedEvents().map((event) => event.type)).toEqual([
      "webhook.disabled",
      "delivery.dead_lettered",
    ]);
    expect((await stored(delivery))?.status_reason).toBe("receive_limit");
  });

  it("leaves alone one failing for less", async () => {
    const subscription = testSubscription();
    await store.createSubscription(appId, subscription);
    const delivery = await failedDelivery();
    await store.recordFailure(appId, subscription.id, "2026-11-18T03:00:00.000Z"); // 119 hours

    await disabling()(dlqEvent(messageOf(delivery)), context);

    expect((await store.getSubscription(appId, subscription.id))?.enabled).toBe(true);
    expect((await stored(delivery))?.status).toBe("dead_lettered");
  });
});

describe("a message the deliverer moved to the DLQ itself", () => {
  it("lets it go when the deliverer marked the delivery already", async () => {
    const delivery = await failedDelivery({ attempts: 4 });
    await store.setDeliveryStatus(
      appId,
      delivery.id,
      "dead_lettered",
      "2026-11-23T01:31:00.000Z",
      "retries_exhausted",
    );
    const before = await stored(delivery);
    const stamp = { reason: "retries_exhausted" as const, at: "2026-11-23T01:31:00.000Z" };
    const result = await consumer()(dlqEvent(messageOf(delivery, stamp)), context);
    expect(result.batchItemFailures).toEqual([]);
    expect(await stored(delivery)).toEqual(before);
    expect(pipeline.messaging.eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it("finishes dead-lettering with the deliverer's reason when the deliverer stopped before the mark", async () => {
    const delivery = await failedDelivery();
    const stamp = { reason: "subscription_disabled" as const, at: "2026-11-23T01:31:00.000Z" };
    await consumer()(dlqEvent(messageOf(delivery, stamp)), context);
    expect(await stored(delivery)).toMatchObject({
      status: "dead_lettered",
      status_reason: "subscription_disabled",
    });
    expect(pipeline.messaging.publishedEvents()).toHaveLength(1);
  });

  it("leaves alone a delivery that went on after this copy was moved", async () => {
    // Attempt 1 was recorded at 01:30; the copy says it was moved at 01:29.
    const delivery = await failedDelivery();
    const stamp = { reason: "subscription_disabled" as const, at: "2026-11-23T01:29:00.000Z" };
    const result = await consumer()(dlqEvent(messageOf(delivery, stamp)), context);
    expect(result.batchItemFailures).toEqual([]);
    expect((await stored(delivery))?.status).toBe("failed");
    expect(pipeline.messaging.eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });
});

describe("messages with nothing left to do", () => {
  it("lets go of a delivery that succeeded or was discarded meanwhile, and of one that is gone", async () => {
    const succeeded = await failedDelivery({ eventId: "evt_01JD0000000000000000000001" });
    await store.setDeliveryStatus(appId, succeeded.id, "succeeded", clock.now().toISOString());
    const discarded = await failedDelivery({ eventId: "evt_01JD0000000000000000000002" });
    await store.setDeliveryStatus(
      appId,
      discarded.id,
      "discarded",
      clock.now().toISOString(),
      "subscription_deleted",
    );
    const gone = { v: 1 as const, app_id: appId, delivery_id: "msg_01JD00000000000000000000NONE" };
    const result = await consumer()(
      dlqEvent(messageOf(succeeded), messageOf(discarded), gone),
      context,
    );
    expect(result.batchItemFailures).toEqual([]);
    expect((await stored(succeeded))?.status).toBe("succeeded");
    expect((await stored(discarded))?.status).toBe("discarded");
    expect(pipeline.messaging.eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });
});

describe("faults", () => {
  it("keeps a body that is not a delivery message in the DLQ without holding back the rest", async () => {
    const delivery = await failedDelivery();
    const result = await consumer()(
      dlqEvent("not json", messageOf(delivery), JSON.stringify({ v: 2 })),
      context,
    );
    expect(result.batchItemFailures).toEqual([
      { itemIdentifier: "d-0" },
      { itemIdentifier: "d-2" },
    ]);
    expect((await stored(delivery))?.status).toBe("dead_lettered");
  });

  it("keeps the message when the store fails, to try again", async () => {
    const delivery = await failedDelivery();
    const broken: Store = {
      ...store,
      setDeliveryStatus: async () => {
        throw new Error("dynamodb down");
      },
    };
    const handler = createDeadLetterHandler({ store: broken, bus: pipeline.messaging.bus, clock });
    const result = await handler(dlqEvent(messageOf(delivery)), context);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "d-0" }]);
    expect((await stored(delivery))?.status).toBe("failed");
  });
});
