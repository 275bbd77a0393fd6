import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import type { Context } from "aws-lambda";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { RoutedEvent, Subscription } from "../../../functions/core/model.ts";
import type { Store } from "../../../functions/core/ports.ts";
import { WRITES_IN_FLIGHT } from "../../../functions/core/services/fan-out.ts";
import { createFanOutHandler } from "../../../functions/fanout/handler.ts";
import type { TestTable } from "../../support/dynamo.ts";
import { appEvent, busEnvelope, sqsRecords, testSubscription } from "../../support/events.ts";
import { fixedClock, type Messaging, QUEUE_URLS, usePipeline } from "../../support/harness.ts";

const APP = "app_01JD0000000000000000000000";
const context = {} as Context;
let table: TestTable;
let messaging: Messaging;
let store: Store;
let fanOut: ReturnType<typeof createFanOutHandler>;

const pipeline = usePipeline();
beforeEach(async () => {
  ({ table, messaging } = pipeline);
  store = await table.freshStore();
  fanOut = createFanOutHandler({ store, queue: messaging.queue, clock: fixedClock() });
});

let subscriptionCount = 0;
async function subscribe(overrides: Partial<Subscription> = {}): Promise<Subscription> {
  const subscription = testSubscription({
    id: `sub_01JD00000000000000000000${String(++subscriptionCount).padStart(2, "0")}`,
    ...overrides,
  });
  await store.createSubscription(APP, subscription);
  return subscription;
}

/** Hands the fan-out its queue's records, one per event, as Lambda's SQS source does. */
const route = (...events: RoutedEvent[]) =>
  fanOut(sqsRecords(...events.map((event) => busEnvelope(event))), context);

const queuedDeliveryIds = () =>
  messaging.sqs
    .commandCalls(SendMessageBatchCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => JSON.parse(entry.MessageBody ?? "{}").delivery_id as string);

describe("fan-out", () => {
  it("queues one message per matching subscription and none for the rest", async () => {
    const matching = [
      await subscribe(),
      await subscribe({ events: ["*"] }),
      await subscribe({ linked_account_ids: ["acme", "globex"] }),
      await subscribe({ filter: { address: { pincode: [560103] } } }),
    ];
    await subscribe({ filter: { address: { pincode: [1] } } }); // filtered out
    await subscribe({ linked_account_ids: ["globex"] }); // another account
    await subscribe({ enabled: false }); // disabled
    await subscribe({ events: ["invoice_paid"] }); // another event

    const result = await route(appEvent(APP));

    expect(result).toEqual({ batchItemFailures: [] });
    expect(messaging.sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 1);
    expect(messaging.sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      QueueUrl: QUEUE_URLS.deliveryQueueUrl,
    });
    const deliveries = await table.items("delivery");
    expect(deliveries.map((d) => (d.target as { id: string }).id).sort()).toEqual(
      matching.map((s) => s.id).sort(),
    );
    expect(queuedDeliveryIds().sort()).toEqual(deliveries.map((d) => d.id).sort());
    expect(deliveries[0]).toMatchObject({ status: "pending", attempt_count: 0, method: "POST" });
  });

  it("writes the Standard Webhooks body for each delivery", async () => {
    await subscribe();
    await route(appEvent(APP));
    const [item] = await table.items("delivery");
    const delivery = await store.getDelivery(APP, String(item?.id));
    expect(item?.body).toBe(delivery?.body);
    expect(JSON.parse(String(delivery?.body))).toEqual({
      id: delivery?.id,
      type: "contact_created",
      timestamp: "2026-11-23T01:28:00.000Z",
      event_id: "evt_01JD0000000000000000000000",
      linked_account_id: "acme",
      data: { first_name: "Mark", address: { pincode: 560103 } },
    });
  });

  it("makes no second delivery when the bus delivers the event twice", async () => {
    await subscribe();
    await route(appEvent(APP));
    await route(appEvent(APP));
    expect(await table.items("delivery")).toHaveLength(1);
    // Still pending, so it is queued again: at-least-once, deduped by webhook-id.
    expect(new Set(queuedDeliveryIds()).size).toBe(1);
  });

  it("does not queue again a delivery that has already been attempted", async () => {
    await subscribe();
    await route(appEvent(APP));
    const [delivery] = await table.items("delivery");
    await store.setDeliveryStatus(
      APP,
      String(delivery?.id),
      "succeeded",
      "2026-11-23T01:29:00.000Z",
    );
    messaging.reset();
    await route(appEvent(APP));
    expect(messaging.sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 0);
  });

  it("reads a payload that travelled by reference from the stored event", async () => {
    await subscribe();
    const { payload, ...reference } = appEvent(APP);
    await store.putEvent({ ...reference, payload: payload ?? {} });
    await route(reference);
    const [item] = await table.items("delivery");
    const delivery = await store.getDelivery(APP, String(item?.id));
    expect(JSON.parse(String(delivery?.body)).data).toEqual(payload);
  });

  it("does not send platform events to an account-scoped subscription unless they carry that account", async () => {
    await subscribe({ events: ["*"], linked_account_ids: ["acme"] });
    const changed = appEvent(APP, {
      type: "event_definition.changed",
      platform: true,
      linked_account_id: null,
      payload: { slug: "x", change: "created" },
    });
    await route(changed);
    expect(messaging.sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 0);
  });

  it("resends only the messages SQS reported as failed", async () => {
    await subscribe();
    await subscribe();
    messaging.sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [{ Id: "0", MessageId: "m", MD5OfMessageBody: "" }],
        Failed: [{ Id: "1", SenderFault: false, Code: "InternalError" }],
      })
      .resolves({ Successful: [{ Id: "1", MessageId: "m", MD5OfMessageBody: "" }], Failed: [] });
    await route(appEvent(APP));
    const calls = messaging.sqs.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Entries?.map((entry) => entry.Id)).toEqual(["1"]);
  });

  it("reports an event it could not route as a batch item failure, so the queue hands it back", async () => {
    await subscribe();
    messaging.sqs.on(SendMessageBatchCommand).rejects(new Error("sqs down"));
    await expect(route(appEvent(APP))).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: "m-0" }],
    });
    // The delivery stays pending; when the queue hands the event back, it is queued then.
    messaging.reset();
    await route(appEvent(APP));
    expect(queuedDeliveryIds()).toHaveLength(1);
  });

  it("fails only the records that failed: the rest of the batch is routed and deleted", async () => {
    await subscribe();
    const stored = appEvent(APP, { event_id: "evt_01JD0000000000000000000002" });
    const { payload: _, ...missing } = appEvent(APP, {
      event_id: "evt_01JD0000000000000000000003",
    });
    // The second travels by reference to a stored event that is not there: it fails alone.
    const result = await route(stored, missing, appEvent(APP));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: "m-1" }] });
    expect(await table.items("delivery")).toHaveLength(2);
  });

  it("fails a record that is not a Switchyard event, and it alone", async () => {
    await subscribe();
    const bogus = busEnvelope(appEvent(APP));
    (bogus.detail as unknown as { v: number }).v = 2;
    const event = sqsRecords(bogus, "not json", busEnvelope(appEvent(APP)));
    await expect(fanOut(event, context)).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: "m-0" }, { itemIdentifier: "m-1" }],
    });
    expect(await table.items("delivery")).toHaveLength(1);
  });
});

describe("fan-out of a batch", () => {
  const events = (count: number) =>
    Array.from({ length: count }, (_, n) =>
      appEvent(APP, { event_id: `evt_01JD00000000000000000001${String(n).padStart(2, "0")}` }),
    );

  it("queues the messages of a batch's events together, ten a call", async () => {
    await subscribe();

    const result = await route(...events(12));

    expect(result).toEqual({ batchItemFailures: [] });
    const calls = messaging.sqs.commandCalls(SendMessageBatchCommand);
    expect(calls.map((call) => call.args[0].input.Entries?.length)).toEqual([10, 2]);
    expect(new Set(queuedDeliveryIds()).size).toBe(12);
  });

  it("fails the events whose messages were in a send that failed, and only those", async () => {
    await subscribe();
    messaging.sqs
      .on(SendMessageBatchCommand)
      .rejectsOnce(new Error("sqs down"))
      .resolves({ Successful: [], Failed: [] });

    const result = await route(...events(12));

    expect(result.batchItemFailures).toEqual(
      Array.from({ length: 10 }, (_, n) => ({ itemIdentifier: `m-${n}` })),
    );
    expect(await table.items("delivery")).toHaveLength(12);
  });
});

describe("an app with many subscriptions", () => {
  it("writes its deliveries at most WRITES_IN_FLIGHT at once, and every one is queued", async () => {
    for (let n = 0; n < 40; n++) await subscribe({ events: ["*"] });
    let inFlight = 0;
    let most = 0;
    const write = store.createDelivery.bind(store);
    vi.spyOn(store, "createDelivery").mockImplementation(async (delivery) => {
      most = Math.max(most, ++inFlight);
      try {
        return await write(delivery);
      } finally {
        inFlight--;
      }
    });

    const result = await route(appEvent(APP));

    expect(result.batchItemFailures).toEqual([]);
    expect(most).toBe(WRITES_IN_FLIGHT);
    expect(queuedDeliveryIds()).toHaveLength(40);
  });
});

describe("fan-out: the app's subscriptions, kept 4 s", () => {
  let now: number;
  const clock = { now: () => new Date(now) };
  const eventAt = (n: number) =>
    appEvent(APP, { event_id: `evt_01JD00000000000000000000${String(n).padStart(2, "0")}` });

  beforeEach(() => {
    now = Date.parse("2026-11-23T01:28:00.000Z");
    fanOut = createFanOutHandler({ store, queue: messaging.queue, clock });
  });

  it("reads the list once for a burst of events, and a new subscription receives events within 5 s", async () => {
    const reads = vi.spyOn(store, "allSubscriptions");
    const first = await subscribe();
    await route(eventAt(1), eventAt(2), eventAt(3));
    expect(reads).toHaveBeenCalledTimes(1);

    const second = await subscribe();
    now += 1_000;
    await route(eventAt(4));
    now += 3_000; // 4 s after the list was read: it is read again
    await route(eventAt(5));

    expect(reads).toHaveBeenCalledTimes(2);
    const targets = async (n: number) =>
      (await store.listDeliveries(APP, { event_id: eventAt(n).event_id }, { limit: 10 })).data
        .map((delivery) => delivery.target.id)
        .sort();
    expect(await targets(4)).toEqual([first.id]); // within the staleness SPEC §2 allows
    expect(await targets(5)).toEqual([first.id, second.id].sort());
  });

  it("does not keep an app's empty list: its first subscription receives the very next event", async () => {
    await route(eventAt(1));
    const first = await subscribe();

    await route(eventAt(2));

    expect(queuedDeliveryIds()).toHaveLength(1);
    expect((await store.getDelivery(APP, queuedDeliveryIds()[0] ?? ""))?.target.id).toBe(first.id);
  });
});

describe("fan-out and ordered subscriptions (SPEC §3.1)", () => {
  it("leaves out the ordered subscriptions the trigger routed the event to", async () => {
    const routedByTrigger = await subscribe({ ordered: true });
    const unordered = await subscribe();

    await route({ ...appEvent(APP), ordered_to: [routedByTrigger.id] });

    const deliveries = await table.items("delivery");
    expect(deliveries.map((d) => (d.target as { id: string }).id)).toEqual([unordered.id]);
  });

  it("queues an ordered subscription's delivery the trigger did not route (a platform event's) on the FIFO queue, in its group", async () => {
    const ordered = await subscribe({ ordered: true, events: ["*"] });

    await route(appEvent(APP));

    const [item] = await table.items("delivery");
    expect(item).toMatchObject({ ordered: true });
    const [batch] = messaging.sqs.commandCalls(SendMessageBatchCommand);
    expect(batch?.args[0].input.QueueUrl).toBe(QUEUE_URLS.orderedDeliveryQueueUrl);
    expect(batch?.args[0].input.Entries?.[0]).toMatchObject({
      MessageGroupId: `${APP}/${ordered.id}`,
      MessageDeduplicationId: item?.id,
    });
  });

  it("queues a delivery made before, and still untouched, on the queue it was made for, though its subscription switched since", async () => {
    const switched = await subscribe({ ordered: true });
    await route(appEvent(APP)); // made ordered, queued on the FIFO queue
    expect(await store.replaceSubscription(APP, { ...switched, version: 1, ordered: false })).toBe(
      true,
    );
    messaging.reset();
    // A fan-out that reads the subscription as it is now.
    fanOut = createFanOutHandler({ store, queue: messaging.queue, clock: fixedClock() });

    await route(appEvent(APP)); // the bus runs the event again: the delivery is queued again

    const [batch] = messaging.sqs.commandCalls(SendMessageBatchCommand);
    expect(batch?.args[0].input.QueueUrl).toBe(QUEUE_URLS.orderedDeliveryQueueUrl);
  });
});
