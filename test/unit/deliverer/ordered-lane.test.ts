import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import type { Context, SQSEvent } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHttpSender } from "../../../functions/adapters/http-sender.ts";
import { messageFor } from "../../../functions/core/delivery-messages.ts";
import { newId } from "../../../functions/core/ids.ts";
import type { Delivery, Subscription } from "../../../functions/core/model.ts";
import type { Store } from "../../../functions/core/ports.ts";
import { webhookDelivery } from "../../../functions/core/routing.ts";
import { createDelivererHandler } from "../../../functions/deliverer/handler.ts";
import { appEvent, testSubscription } from "../../support/events.ts";
import {
  fixedClock,
  newApp,
  QUEUE_URLS,
  testDelivererDeps,
  usePipeline,
} from "../../support/harness.ts";
import { useReceiver } from "../../support/receiver.ts";

/**
 * The ordered lane's batches (SPEC §3.1) under Lambda's FIFO rule for partial batch
 * responses: a group's records one after another, and none after the first that must come
 * back. The queues are mocked; the receiver is real.
 */
const ORDERED_ARN = "arn:aws:sqs:us-east-1:123456789012:deliveries-ordered.fifo";
const context = {} as Context;

let store: Store;
let appId: string;
let clock: ReturnType<typeof fixedClock>;
let sender: ReturnType<typeof createHttpSender>;
const pipeline = usePipeline();
const receiver = useReceiver();

beforeEach(async () => {
  receiver.requests.length = 0;
  receiver.respond = { status: 200, body: "ok" };
  store = await pipeline.table.freshStore();
  clock = fixedClock(new Date().toISOString());
  ({ appId } = await newApp(store, clock));
  sender = createHttpSender({ timeoutMs: 2_000, allowPrivateUrls: true });
});
afterEach(() => {
  receiver.beforeAnswer = undefined;
  sender.close();
});

const handler = () =>
  createDelivererHandler(testDelivererDeps(store, pipeline.messaging, clock, sender));

async function orderedSubscription(name: string, url = `${receiver.url}/${name}`) {
  const subscription = testSubscription({
    id: `sub_01JD00000000000000000000${name.toUpperCase().padStart(2, "0")}`,
    url,
    events: ["*"],
    ordered: true,
  });
  await store.createSubscription(appId, subscription);
  return subscription;
}

/** The subscription's next delivery, its event triggered now. */
async function nextDelivery(subscription: Subscription, overrides: Partial<Delivery> = {}) {
  clock.set(new Date(clock.now().getTime() + 1).toISOString());
  const event = appEvent(appId, { event_id: newId("event", clock.now().getTime()) });
  const delivery = {
    ...webhookDelivery(subscription, event, event.payload ?? {}, clock.now()),
    ...overrides,
  };
  await store.createDelivery(delivery);
  return delivery;
}

/** A batch of the ordered lane: each record from the FIFO queue, in its message group. */
function fifoBatch(...deliveries: Delivery[]): SQSEvent {
  return {
    Records: deliveries.map((delivery) => {
      const message = messageFor(delivery);
      return {
        messageId: `m-${delivery.id}`,
        receiptHandle: `rh-${delivery.id}`,
        body: JSON.stringify(message),
        attributes: { MessageGroupId: message.group } as SQSEvent["Records"][number]["attributes"],
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: ORDERED_ARN,
        awsRegion: "us-east-1",
      };
    }),
  };
}

const failures = (...deliveries: Delivery[]) => ({
  batchItemFailures: deliveries.map((delivery) => ({ itemIdentifier: `m-${delivery.id}` })),
});
const attempts = async (delivery: Delivery) =>
  (await store.getDelivery(appId, delivery.id))?.attempt_count;
const released = () =>
  pipeline.messaging.sqs
    .commandCalls(ChangeMessageVisibilityBatchCommand)
    .map((call) => call.args[0].input);

describe("the ordered lane's batch", () => {
  it("stops a group at its first failure: the later ones are not sent, come back with it, and are shown again at once, latest first", async () => {
    const failing = await orderedSubscription("a", "http://127.0.0.1:1/refused");
    const healthy = await orderedSubscription("b");
    const [a1, a2, a3] = [
      await nextDelivery(failing),
      await nextDelivery(failing),
      await nextDelivery(failing),
    ];
    const b1 = await nextDelivery(healthy);

    const result = await handler()(fifoBatch(a1, a2, b1, a3), context);

    expect(result).toEqual(failures(a1, a2, a3));
    expect([await attempts(a1), await attempts(a2), await attempts(a3)]).toEqual([1, 0, 0]);
    expect(await attempts(b1)).toBe(1); // another group goes on
    expect(released()).toEqual([
      {
        QueueUrl: QUEUE_URLS.orderedDeliveryQueueUrl,
        Entries: [
          { Id: "0", ReceiptHandle: `rh-${a3.id}`, VisibilityTimeout: 0 },
          { Id: "1", ReceiptHandle: `rh-${a2.id}`, VisibilityTimeout: 0 },
        ],
      },
    ]);
  });

  it("sends a group's deliveries one after another, each once the one before was answered", async () => {
    const subscription = await orderedSubscription("c");
    const [c1, c2, c3] = [
      await nextDelivery(subscription),
      await nextDelivery(subscription),
      await nextDelivery(subscription),
    ];
    const seenWhileAnswering: number[] = [];
    receiver.beforeAnswer = async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      seenWhileAnswering.push(receiver.requests.length);
    };

    const result = await handler()(fifoBatch(c1, c2, c3), context);

    expect(result).toEqual({ batchItemFailures: [] });
    expect(seenWhileAnswering).toEqual([1, 2, 3]);
    expect(receiver.requests.map((request) => JSON.parse(request.body).id)).toEqual([
      c1.id,
      c2.id,
      c3.id,
    ]);
    expect(released()).toEqual([]);
  });

  it("keeps what succeeded before the failure: only the failed one and those after it come back", async () => {
    const subscription = await orderedSubscription("d");
    const [d1, d2, d3] = [
      await nextDelivery(subscription),
      await nextDelivery(subscription),
      await nextDelivery(subscription),
    ];
    // The first request succeeds; every one after it is answered 500.
    receiver.beforeAnswer = async () => {
      receiver.respond = { status: 500, body: "down" };
    };

    const result = await handler()(fifoBatch(d1, d2, d3), context);

    expect(result).toEqual(failures(d2, d3));
    expect((await store.getDelivery(appId, d1.id))?.status).toBe("succeeded");
    expect((await store.getDelivery(appId, d2.id))?.status).toBe("failed");
    expect(await attempts(d3)).toBe(0);
  });

  it("goes on past a delivery that is dead-lettered: it releases its group, through the FIFO DLQ", async () => {
    const subscription = await orderedSubscription("e");
    // Its last attempt was recorded, but its turn stopped before dead-lettering it.
    const e1 = await nextDelivery(subscription, { status: "failed", attempt_count: 4 });
    const e2 = await nextDelivery(subscription);

    const result = await handler()(fifoBatch(e1, e2), context);

    expect(result).toEqual({ batchItemFailures: [] });
    expect((await store.getDelivery(appId, e1.id))?.status).toBe("dead_lettered");
    expect((await store.getDelivery(appId, e2.id))?.status).toBe("succeeded");
    const deadLetter = pipeline.messaging.sqs
      .commandCalls(SendMessageCommand)
      .map((call) => call.args[0].input)
      .find((input) => input.MessageBody?.includes(e1.id));
    expect(deadLetter).toMatchObject({
      QueueUrl: QUEUE_URLS.orderedDeadLetterQueueUrl,
      MessageGroupId: e1.id,
    });
  });

  it("hides a failed delivery for its backoff on the FIFO queue, holding its group that long", async () => {
    const subscription = await orderedSubscription("f", "http://127.0.0.1:1/refused");
    const f1 = await nextDelivery(subscription);

    await handler()(fifoBatch(f1), context);

    const hides = pipeline.messaging.sqs
      .commandCalls(ChangeMessageVisibilityCommand)
      .map((call) => call.args[0].input);
    expect(hides).toEqual([
      {
        QueueUrl: QUEUE_URLS.orderedDeliveryQueueUrl,
        ReceiptHandle: `rh-${f1.id}`,
        VisibilityTimeout: 30,
      },
    ]);
  });
});
