import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { SendMessageBatchCommand, type SendMessageBatchCommandInput } from "@aws-sdk/client-sqs";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { DeliveryMessage } from "../../../functions/core/model.ts";
import type { Store } from "../../../functions/core/ports.ts";
import { webhookDelivery } from "../../../functions/core/routing.ts";
import {
  fixedClock,
  freshApp,
  type Invoke,
  QUEUE_URLS,
  usePipeline,
} from "../../support/harness.ts";

/**
 * The trigger routes events to ordered subscriptions itself, in trigger order (SPEC §3.1): it
 * queues their deliveries on the FIFO queue and names them in the event it puts on the bus.
 */
const pipeline = usePipeline();
let call: Invoke;
let store: Store;
let appId: string;
let clock: ReturnType<typeof fixedClock>;

beforeEach(async () => {
  vi.restoreAllMocks();
  ({ call, store, appId, clock } = await freshApp(pipeline, fixedClock()));
  const defined = await call({
    method: "POST",
    path: "/api/v2/events",
    body: { name: "Contact Created", sample_payload: {} },
  });
  expect(defined.status).toBe(201);
  pipeline.messaging.reset();
});

const webhook = async (body: Record<string, unknown> = {}) =>
  (
    await call({
      method: "POST",
      path: "/api/v2/webhooks",
      body: { url: "https://example.com/hooks", events: ["contact_created"], ...body },
    })
  ).body as { id: string; ordered: boolean };

const trigger = (payload: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  call({
    method: "POST",
    path: "/api/v2/public/event",
    headers: { linked_account_id: "acme", ...headers },
    body: { event: "contact_created", payload },
  });

/** The FIFO queue's sends so far, one array of entries per call. */
const fifoSends = () =>
  pipeline.messaging.sqs
    .commandCalls(SendMessageBatchCommand)
    .map((sent) => sent.args[0].input as SendMessageBatchCommandInput)
    .filter((input) => input.QueueUrl === QUEUE_URLS.orderedDeliveryQueueUrl)
    .map((input) => input.Entries ?? []);

const messageOf = (body: string | undefined) => JSON.parse(body ?? "null") as DeliveryMessage;

const busEvents = () =>
  pipeline.messaging.eventBridge
    .commandCalls(PutEventsCommand)
    .flatMap((put) => put.args[0].input.Entries ?? [])
    .map((entry) => JSON.parse(entry.Detail ?? "{}"));

/** The event a queued ordered delivery is of. */
const eventOf = async (message: DeliveryMessage) =>
  (await store.getDelivery(appId, message.delivery_id))?.event_id;

/** Two ordered subscriptions; of an event's two deliveries, the second one's write fails. */
async function twoOrderedSubscriptionsWhoseSecondWriteFails() {
  await webhook({ ordered: true });
  await webhook({ ordered: true, url: "https://example.com/other" });
  const write = store.createDelivery.bind(store);
  let writes = 0;
  vi.spyOn(store, "createDelivery").mockImplementation(async (delivery) => {
    if (++writes === 2) throw new Error("DynamoDB is down");
    return write(delivery);
  });
}

describe("the trigger and ordered subscriptions", () => {
  it("queues an ordered subscription's delivery on the FIFO queue in its group, and names it in the event on the bus", async () => {
    const ordered = await webhook({ ordered: true });
    await webhook(); // unordered: the fan-out's

    const answer = await trigger({ first_name: "Ada" });

    expect(answer.status).toBe(200);
    expect(ordered.ordered).toBe(true);
    const [entries = []] = fifoSends();
    expect(entries).toHaveLength(1);
    const message = messageOf(entries[0]?.MessageBody);
    expect(entries[0]).toMatchObject({
      MessageGroupId: `${appId}/${ordered.id}`,
      MessageDeduplicationId: message.delivery_id,
    });
    expect(await store.getDelivery(appId, message.delivery_id)).toMatchObject({
      event_id: answer.body.event_id,
      ordered: true,
      status: "pending",
    });
    expect(busEvents()).toEqual([
      expect.objectContaining({ event_id: answer.body.event_id, ordered_to: [ordered.id] }),
    ]);
  });

  it("sends nothing to SQS, and names nobody, for an app without ordered subscriptions", async () => {
    await webhook();

    await trigger();

    expect(pipeline.messaging.sqs.calls()).toHaveLength(0);
    expect(busEvents()[0]).not.toHaveProperty("ordered_to");
  });

  it("routes only to ordered subscriptions that receive the event", async () => {
    await webhook({ ordered: true, linked_account_ids: ["globex"] });

    await trigger();

    expect(fifoSends()).toEqual([]);
    expect(busEvents()[0]).not.toHaveProperty("ordered_to");
  });

  it("applies a switch of `ordered` to the events triggered after it, once its cache expires", async () => {
    const subscription = await webhook({ ordered: true });
    await trigger();
    const patched = await call({
      method: "PATCH",
      path: `/api/v2/webhooks/${subscription.id}`,
      body: { ordered: false },
    });
    expect(patched.body.ordered).toBe(false);
    clock.set(new Date(clock.now().getTime() + 5_000).toISOString());

    await trigger();

    expect(fifoSends()).toHaveLength(1);
    expect(busEvents().map((event) => event.ordered_to)).toEqual([[subscription.id], undefined]);
  });

  it("queues a batch's ordered deliveries in the items' order, however long each item's writes take", async () => {
    await webhook({ ordered: true });
    // The earlier an item, the slower its delivery's write: at once, later items would go first.
    const write = store.createDelivery.bind(store);
    vi.spyOn(store, "createDelivery").mockImplementation(async (delivery) => {
      const { n } = JSON.parse(delivery.body).data as { n: number };
      await new Promise((resolve) => setTimeout(resolve, (12 - n) * 3));
      return write(delivery);
    });
    const items = Array.from({ length: 12 }, (_, index) => ({
      event: "contact_created",
      payload: { n: index },
    }));

    const answer = await call({
      method: "POST",
      path: "/api/v2/public/events/batch",
      headers: { linked_account_id: "acme" },
      body: { events: items },
    });

    const accepted = answer.body.data.map((item: { event_id: string }) => item.event_id);
    const queued = await Promise.all(
      fifoSends()
        .flat()
        .map((entry) => eventOf(messageOf(entry.MessageBody))),
    );
    expect(queued).toEqual(accepted);
  });

  it("answers 500 when the ordered deliveries cannot be queued, puts nothing on the bus, and a retry with the key sends the same event on", async () => {
    const ordered = await webhook({ ordered: true });
    pipeline.messaging.sqs.on(SendMessageBatchCommand).rejects(new Error("SQS is down"));

    const failed = await trigger({}, { "idempotency-key": "k-1" });

    expect(failed.status).toBe(500);
    expect(busEvents()).toEqual([]);
    pipeline.messaging.reset();
    const retried = await trigger({}, { "idempotency-key": "k-1" });

    expect(retried.status).toBe(200);
    expect(busEvents()).toEqual([
      expect.objectContaining({ event_id: retried.body.event_id, ordered_to: [ordered.id] }),
    ]);
    const [entries = []] = fifoSends();
    expect(await eventOf(messageOf(entries[0]?.MessageBody))).toBe(retried.body.event_id);
    // The send may have gone through: the retry sent the first request's event on, not another.
    const stored = await pipeline.table.items("event");
    expect(stored.map((item) => item.event_id)).toEqual([retried.body.event_id]);
    expect(await pipeline.table.items("delivery")).toHaveLength(1);
  });

  it("undoes the event when its ordered routing stopped before anything was sent: no event, no delivery left", async () => {
    // The second delivery's write fails; the first is written, and must be taken back.
    await twoOrderedSubscriptionsWhoseSecondWriteFails();

    const failed = await trigger({}, { "idempotency-key": "k-2" });

    expect(failed.status).toBe(500);
    expect(pipeline.messaging.sqs.calls()).toHaveLength(0);
    expect(busEvents()).toEqual([]);
    expect(await pipeline.table.items("event")).toEqual([]);
    expect(await pipeline.table.items("delivery")).toEqual([]);
    // The key was released with it: the same request is a new one.
    vi.restoreAllMocks();
    expect((await trigger({}, { "idempotency-key": "k-2" })).status).toBe(200);
    expect(await pipeline.table.items("delivery")).toHaveLength(2);
  });

  it("undoes the event when the app's subscriptions cannot be read", async () => {
    vi.spyOn(store, "allSubscriptions").mockRejectedValue(new Error("DynamoDB is down"));

    const failed = await trigger();

    expect(failed.status).toBe(500);
    expect(busEvents()).toEqual([]);
    expect(await pipeline.table.items("event")).toEqual([]);
  });

  it("keeps the event when a delivery it wrote cannot be taken back, for a retry with its key", async () => {
    await twoOrderedSubscriptionsWhoseSecondWriteFails();
    vi.spyOn(store, "withdrawDelivery").mockRejectedValue(new Error("still down"));

    const failed = await trigger({}, { "idempotency-key": "k-4" });

    expect(failed.status).toBe(500);
    expect(await pipeline.table.items("event")).toHaveLength(1);
    vi.restoreAllMocks();
    const retried = await trigger({}, { "idempotency-key": "k-4" });
    expect(retried.status).toBe(200);
    expect((await pipeline.table.items("event")).map((item) => item.event_id)).toEqual([
      retried.body.event_id,
    ]);
    expect(fifoSends().flat()).toHaveLength(2);
  });

  it("leaves to the fan-out a delivery made for the standard queue before its subscription turned ordered", async () => {
    const subscription = await webhook();
    // The bus may have taken the event: a 500, and the event kept for the key.
    pipeline.messaging.eventBridge.on(PutEventsCommand).rejectsOnce(new Error("timed out"));
    expect((await trigger({}, { "idempotency-key": "k-5" })).status).toBe(500);
    // The fan-out routed it meanwhile, as an unordered subscription's.
    const [stored] = await pipeline.table.items("event");
    const event = await store.getEvent(appId, String(stored?.event_id));
    const current = await store.getSubscription(appId, subscription.id);
    if (!event || !current) throw new Error("no event or subscription");
    await store.createDelivery(webhookDelivery(current, event, event.payload, clock.now()));
    await call({
      method: "PATCH",
      path: `/api/v2/webhooks/${subscription.id}`,
      body: { ordered: true },
    });
    clock.set(new Date(clock.now().getTime() + 5_000).toISOString());
    pipeline.messaging.reset();

    const retried = await trigger({}, { "idempotency-key": "k-5" });

    expect(retried.status).toBe(200);
    expect(pipeline.messaging.sqs.calls()).toHaveLength(0); // the trigger queues nothing
    expect(busEvents()[0]).not.toHaveProperty("ordered_to"); // so the fan-out does
  });
});
