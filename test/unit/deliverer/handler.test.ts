import { createHmac } from "node:crypto";
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { DecryptCommand, GenerateDataKeyCommand, KMSServiceException } from "@aws-sdk/client-kms";
import { ChangeMessageVisibilityCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createHttpSender } from "../../../functions/adapters/http-sender.ts";
import { aesKeyWrapper } from "../../../functions/adapters/secrets/aes-key-wrapper.ts";
import { createEnvelopeVault } from "../../../functions/adapters/secrets/envelope-vault.ts";
import { kmsKeyWrapper } from "../../../functions/adapters/secrets/kms-key-wrapper.ts";
import type { Delivery, DeliveryMessage, Subscription } from "../../../functions/core/model.ts";
import type { SecretVault, Store } from "../../../functions/core/ports.ts";
import { MAX_HIDE_SECONDS } from "../../../functions/core/retry-policy.ts";
import { webhookDelivery } from "../../../functions/core/routing.ts";
import { type DeliverDeps, deliver } from "../../../functions/core/services/deliver.ts";
import { createDeadLetterHandler } from "../../../functions/dead-letters/handler.ts";
import { createDelivererHandler } from "../../../functions/deliverer/handler.ts";
import type { TestTable } from "../../support/dynamo.ts";
import { appEvent, TEST_SECRET, testSubscription } from "../../support/events.ts";
import {
  apiClient,
  fixedClock,
  type Messaging,
  newApp,
  QUEUE_URLS,
  testVault,
  usePipeline,
} from "../../support/harness.ts";
import { mockKms, TEST_KMS_KEY_ID, testKmsClient } from "../../support/kms.ts";
import { useReceiver } from "../../support/receiver.ts";

const SECRET = TEST_SECRET;
const OLD_SECRET = "whsec_//79/Pv6+fj39vX08/Lx8O/u7ezr6uno5+bl5OPi4eA=";
const context = {} as Context;

let table: TestTable;
let messaging: Messaging;
let store: Store;
let appId: string;
let apiKey: string;
let clock: ReturnType<typeof fixedClock>;
let senders: { close(): void }[] = [];

const pipeline = usePipeline();
const receiver = useReceiver();
beforeEach(async () => {
  ({ table, messaging } = pipeline);
  receiver.requests.length = 0;
  receiver.respond = { status: 200, body: "ok" };
  store = await table.freshStore();
  clock = fixedClock(new Date().toISOString());
  ({ appId, apiKey } = await newApp(store, clock));
});
afterEach(() => {
  receiver.beforeAnswer = undefined;
  for (const sender of senders) sender.close();
  senders = [];
});

interface DelivererOptions {
  allowPrivateUrls?: boolean;
  timeoutMs?: number;
  baseSeconds?: number;
  store?: Store;
  vault?: SecretVault;
}

/**
 * The deliverer, fed as both of its lanes' pollers feed it: a record it forwards to the slow
 * lane (a retry of a failing subscription) is handed to it again at once, as the slow lane's
 * message, and that turn's result stands for the record.
 */
function deliverer(options: DelivererOptions = {}) {
  const handler = createDelivererHandler(delivererDeps(options));
  return async (event: SQSEvent, lambdaContext: Context): Promise<SQSBatchResponse> => {
    const forwardedBefore = slowLaneMessages().length;
    const result = await handler(event, lambdaContext);
    const forwarded = slowLaneMessages().slice(forwardedBefore);
    if (forwarded.length === 0) return result;
    const followed = event.Records.filter((record) =>
      forwarded.some((message) => record.body.includes(message.delivery_id)),
    ).map((record) => ({
      ...record,
      body: JSON.stringify(latestMessageOf(record.body)),
      eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:deliveries-slow",
    }));
    const slowTurn = await handler({ Records: followed }, lambdaContext);
    return { batchItemFailures: [...result.batchItemFailures, ...slowTurn.batchItemFailures] };
  };
}

/** The slow-lane messages the deliverer forwarded so far, oldest first. */
const slowLaneMessages = (): DeliveryMessage[] =>
  messaging.sqs
    .commandCalls(SendMessageCommand)
    .filter((call) => call.args[0].input.QueueUrl === QUEUE_URLS.slowDeliveryQueueUrl)
    .map((call) => JSON.parse(call.args[0].input.MessageBody ?? "null"));

/** The message that carries a delivery now: its last forward to the slow lane, if any. */
function latestMessageOf(body: string): DeliveryMessage {
  const message = JSON.parse(body) as DeliveryMessage;
  const forwarded = slowLaneMessages().filter((m) => m.delivery_id === message.delivery_id);
  return forwarded.at(-1) ?? message;
}

/** What the deliverer runs on: this file's store, mocked queues and bus, a real HTTP sender. */
function delivererDeps(options: DelivererOptions = {}): DeliverDeps {
  const sender = createHttpSender({
    timeoutMs: options.timeoutMs ?? 2_000,
    allowPrivateUrls: options.allowPrivateUrls ?? true,
  });
  senders.push(sender);
  return {
    store: options.store ?? store,
    queue: messaging.queue,
    bus: messaging.bus,
    sender,
    clock,
    vault: options.vault ?? testVault,
    retry: { maxRetries: 3, baseSeconds: options.baseSeconds ?? 30 },
    probeLeaseMs: 15_000,
    userAgent: "Switchyard/test",
    random: () => 0.5,
  };
}

async function pendingDelivery(
  overrides: Partial<Subscription> = {},
  eventOverrides = {},
): Promise<Delivery> {
  const now = clock.now().toISOString();
  const subscription = testSubscription({
    url: receiver.url,
    events: ["*"],
    created_at: now,
    updated_at: now,
    secrets: [{ secret: SECRET, created_at: now, expires_at: null }],
    ...overrides,
  });
  await store.createSubscription(appId, subscription);
  const event = appEvent(appId, eventOverrides);
  const delivery = webhookDelivery(subscription, event, event.payload ?? {}, clock.now());
  await store.createDelivery(delivery);
  return delivery;
}

function sqsEvent(...deliveries: Delivery[]): SQSEvent {
  return {
    Records: deliveries.map((delivery, index) => {
      // Once forwarded, a delivery's message comes from the slow lane.
      const message = latestMessageOf(
        JSON.stringify({ v: 1, app_id: delivery.app_id, delivery_id: delivery.id }),
      );
      return {
        messageId: `m-${index}`,
        receiptHandle: `rh-${index}`,
        body: JSON.stringify(message),
        attributes: {} as SQSEvent["Records"][number]["attributes"],
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        // The queue it comes from: its lane.
        eventSourceARN: `arn:aws:sqs:us-east-1:123456789012:${message.slow_lane ? "deliveries-slow" : "deliveries"}`,
        awsRegion: "us-east-1",
      };
    }),
  };
}

const stored = async (delivery: Delivery) => store.getDelivery(appId, delivery.id);

/** Another copy of the delivery's message (`m-other`) records a successful attempt 1. */
const anotherCopySucceeds = (delivery: Delivery) =>
  store.recordAttempt(appId, delivery.id, {
    attempt: {
      attempt: 1,
      at: clock.now().toISOString(),
      status_code: 200,
      duration_ms: 1,
      response_body: "",
      error: null,
    },
    status: "succeeded",
    expectedAttemptCount: 0,
    messageId: "m-other",
  });

/** Moves the clock to when the delivery's next attempt is due, as SQS brings its message back. */
async function whenDue(delivery: Delivery) {
  const due = (await stored(delivery))?.next_attempt_at;
  if (due) clock.set(due);
}

/** The clock moved on by `seconds`. */
const advance = (seconds: number) =>
  clock.set(new Date(clock.now().getTime() + seconds * 1000).toISOString());

/** Every visibility the deliverer asked SQS for, in order. */
const hides = () =>
  messaging.sqs
    .commandCalls(ChangeMessageVisibilityCommand)
    .map((call) => call.args[0].input.VisibilityTimeout);

/** The bodies sent to the dead-letter queue, parsed. */
const deadLetterMessages = () =>
  messaging.sqs
    .commandCalls(SendMessageCommand)
    .filter((call) => call.args[0].input.QueueUrl === QUEUE_URLS.deadLetterQueueUrl)
    .map((call) => JSON.parse(call.args[0].input.MessageBody ?? "null"));

describe("a receiver that answers 2xx", () => {
  it("gets a signed request that standardwebhooks verifies, and the delivery succeeds", async () => {
    const delivery = await pendingDelivery();
    const result = await deliverer()(sqsEvent(delivery), context);
    expect(result).toEqual({ batchItemFailures: [] });

    const [request] = receiver.requests;
    expect(request?.method).toBe("POST");
    expect(request?.body).toBe(delivery.body);
    expect(request?.headers).toMatchObject({
      "content-type": "application/json",
      "user-agent": "Switchyard/test",
      "webhook-id": delivery.id,
      "x-switchyard-event": "contact_created",
      "x-switchyard-attempt": "1",
    });
    const headers = request?.headers as Record<string, string>;
    expect(new Webhook(SECRET).verify(request?.body ?? "", headers)).toEqual(
      JSON.parse(delivery.body),
    );
    const key = Buffer.from(SECRET.slice("whsec_".length), "base64");
    expect(headers["x-switchyard-signature"]).toBe(
      createHmac("sha256", key)
        .update(request?.body ?? "")
        .digest("hex"),
    );

    const after = await stored(delivery);
    expect(after).toMatchObject({ status: "succeeded", attempt_count: 1 });
    expect(after?.last_attempt).toMatchObject({
      attempt: 1,
      status_code: 200,
      response_body: "ok",
      error: null,
    });
  });

  it("sends the subscription's own headers as it holds them now, beside Switchyard's", async () => {
    const delivery = await pendingDelivery({ headers: { "x-tenant": "acme" } });
    // Changed after the delivery was made: the attempt sends what the subscription holds now.
    const current = await store.getSubscription(appId, delivery.target.id);
    await store.replaceSubscription(appId, {
      ...(current as Subscription),
      headers: { "x-tenant": "globex", authorization: "Bearer t0k3n" },
    });

    await deliverer()(sqsEvent(delivery), context);

    const headers = receiver.requests[0]?.headers as Record<string, string>;
    expect(headers).toMatchObject({
      "x-tenant": "globex",
      authorization: "Bearer t0k3n",
      "webhook-id": delivery.id,
      "content-type": "application/json",
    });
    expect(new Webhook(SECRET).verify(receiver.requests[0]?.body ?? "", headers)).toBeTruthy();
  });

  it("signs with both secrets during a rotation, so the old secret still verifies", async () => {
    const delivery = await pendingDelivery({
      secrets: [
        { secret: SECRET, created_at: "", expires_at: null },
        {
          secret: OLD_SECRET,
          created_at: "",
          expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        },
      ],
    });
    await deliverer()(sqsEvent(delivery), context);
    const [request] = receiver.requests;
    const headers = request?.headers as Record<string, string>;
    expect(headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    expect(() => new Webhook(OLD_SECRET).verify(request?.body ?? "", headers)).not.toThrow();
    expect(() => new Webhook(SECRET).verify(request?.body ?? "", headers)).not.toThrow();
  });

  it("ignores a duplicate message of a delivery that already succeeded", async () => {
    const delivery = await pendingDelivery();
    await deliverer()(sqsEvent(delivery), context);
    const again = await deliverer()(sqsEvent(delivery), context);
    expect(again).toEqual({ batchItemFailures: [] });
    expect(receiver.requests).toHaveLength(1);
  });
});

describe("a batch of deliveries", () => {
  it("is read in one BatchGetItem, not two reads per delivery, and two copies of one message are fine", async () => {
    const deliveries = [
      await pendingDelivery(),
      await pendingDelivery({}, { event_id: "evt_01JD0000000000000000000001" }),
      await pendingDelivery({}, { event_id: "evt_01JD0000000000000000000002" }),
    ];
    const send = vi.spyOn(DynamoDBDocumentClient.prototype, "send");
    const batch = sqsEvent(...deliveries, deliveries[0] as Delivery); // a copy of the first

    const result = await deliverer()(batch, context);

    const commands = send.mock.calls.map(([command]) => command.constructor.name);
    expect(commands.filter((name) => name === "BatchGetCommand")).toHaveLength(1);
    const deliveryReads = send.mock.calls.filter(
      ([command]) =>
        command.constructor.name === "GetCommand" &&
        /^(DLV|BODY)#/.test(String((command.input as { Key?: { SK?: string } }).Key?.SK)),
    );
    expect(deliveryReads).toEqual([]);
    expect(result.batchItemFailures).toEqual([]);
    for (const d of deliveries) expect((await stored(d))?.status).toBe("succeeded");
    expect(receiver.requests.length).toBeGreaterThanOrEqual(3);
    send.mockRestore();
  });
});

describe("a failing receiver", () => {
  it("is retried with growing delays and the fourth failure ends dead-lettered", async () => {
    receiver.respond = { status: 500, body: "x".repeat(5000) };
    const delivery = await pendingDelivery();
    const handler = deliverer();
    const delays: number[] = [];
    for (let receive = 1; receive <= 3; receive++) {
      await whenDue(delivery);
      const result = await handler(sqsEvent(delivery), context);
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m-0" }]);
      const calls = messaging.sqs.commandCalls(ChangeMessageVisibilityCommand);
      delays.push(calls.at(-1)?.args[0].input.VisibilityTimeout ?? 0);
      const after = await stored(delivery);
      expect(after?.status).toBe("failed");
      // The next attempt is due when the message comes back.
      expect(after?.next_attempt_at).toBe(
        new Date(clock.now().getTime() + (delays.at(-1) ?? 0) * 1000).toISOString(),
      );
    }
    expect(delays).toEqual([30, 120, 480]);
    expect(messaging.sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, {
      QueueUrl: QUEUE_URLS.deliveryQueueUrl,
      ReceiptHandle: "rh-0",
    });

    await whenDue(delivery);
    const last = await handler(sqsEvent(delivery), context);
    expect(last.batchItemFailures).toEqual([]); // deleted from the delivery queue…
    // …because it is in the DLQ now, stamped so the dead-letter consumer could finish the job.
    expect(deadLetterMessages()).toEqual([
      {
        v: 1,
        app_id: appId,
        delivery_id: delivery.id,
        dead_letter: { reason: "retries_exhausted", at: clock.now().toISOString() },
      },
    ]);
    expect(receiver.requests.map((r) => r.headers["x-switchyard-attempt"])).toEqual([
      "1",
      "2",
      "3",
      "4",
    ]);
    expect(new Set(receiver.requests.map((r) => r.headers["webhook-id"]))).toEqual(
      new Set([delivery.id]),
    );

    const dead = await stored(delivery);
    expect(dead).toMatchObject({
      status: "dead_lettered",
      status_reason: "retries_exhausted",
      attempt_count: 4,
    });
    expect(dead?.next_attempt_at).toBeUndefined();
    const attempts = await store.listAttempts(appId, delivery.id);
    expect(attempts.map((a) => [a.attempt, a.status_code, a.error])).toEqual([
      [1, 500, "HTTP 500"],
      [2, 500, "HTTP 500"],
      [3, 500, "HTTP 500"],
      [4, 500, "HTTP 500"],
    ]);
    expect(attempts[0]?.response_body).toHaveLength(1024);

    const published = messaging.publishedEvents();
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      type: "delivery.dead_lettered",
      platform: true,
      linked_account_id: "acme",
      payload: {
        id: delivery.id,
        status: "dead_lettered",
        status_reason: "retries_exhausted",
        attempt_count: 4,
        last_attempt: { attempt: 4 },
      },
    });

    const call = apiClient(store, messaging, clock, apiKey);
    const dlq = await call({ method: "GET", path: "/api/v2/dlq" });
    expect(dlq.body.data).toEqual([
      expect.objectContaining({ id: delivery.id, status: "dead_lettered", attempt_count: 4 }),
    ]);
    const detail = await call({ method: "GET", path: `/api/v2/deliveries/${delivery.id}` });
    expect(detail.body.attempts).toHaveLength(4);
    expect(detail.body.request_body).toBe(delivery.body);
  });

  it("waits at least as long as a 429 or 503 asks with Retry-After, and records the ask", async () => {
    const delivery = await pendingDelivery();
    const handler = deliverer();
    const answers = [
      { status: 429, headers: { "retry-after": "600" } }, // longer than the 30 s backoff
      { status: 503, headers: { "retry-after": "5" } }, // shorter than the 120 s one: ignored
      { status: 500, headers: { "retry-after": "900" } }, // not a 429 or 503: ignored
    ];
    for (const answer of answers) {
      receiver.respond = answer;
      await whenDue(delivery);
      await handler(sqsEvent(delivery), context);
    }
    expect(hides()).toEqual([600, 120, 480]);
    const attempts = await store.listAttempts(appId, delivery.id);
    expect(attempts.map((a) => [a.status_code, a.retry_after])).toEqual([
      [429, 600],
      [503, 5],
      [500, undefined],
    ]);
    const call = apiClient(store, messaging, clock, apiKey);
    const detail = await call({ method: "GET", path: `/api/v2/deliveries/${delivery.id}` });
    expect(detail.body.attempts[0]).toMatchObject({ status_code: 429, retry_after: 600 });
  });

  it("waits until an HTTP date a 503 names, at most 12 hours", async () => {
    const delivery = await pendingDelivery();
    const inAnHour = new Date(clock.now().getTime() + 3_600_000).toUTCString();
    receiver.respond = { status: 503, headers: { "retry-after": inAnHour } };
    await deliverer()(sqsEvent(delivery), context);
    receiver.respond = { status: 429, headers: { "retry-after": "999999" } };
    await whenDue(delivery);
    await deliverer()(sqsEvent(delivery), context);

    const attempts = await store.listAttempts(appId, delivery.id);
    expect(attempts.map((a) => a.retry_after)).toEqual([3600, 12 * 3600]);
    // 12 h is more than SQS hides a message in one go: it comes back early and waits again.
    expect((await stored(delivery))?.next_attempt_at).toBe(
      new Date(clock.now().getTime() + 12 * 3600 * 1000).toISOString(),
    );
    expect(hides().at(-1)).toBe(MAX_HIDE_SECONDS);
  });

  it("records a timeout as a failed attempt with no status code", async () => {
    receiver.respond = "hang";
    const delivery = await pendingDelivery();
    const result = await deliverer({ timeoutMs: 200 })(sqsEvent(delivery), context);
    expect(result.batchItemFailures).toHaveLength(1);
    expect((await stored(delivery))?.last_attempt).toMatchObject({
      status_code: null,
      error: expect.stringContaining("timed out"),
    });
  });

  it("refuses a non-global address at send time without connecting", async () => {
    const delivery = await pendingDelivery();
    const result = await deliverer({ allowPrivateUrls: false })(sqsEvent(delivery), context);
    expect(result.batchItemFailures).toHaveLength(1);
    expect(receiver.requests).toHaveLength(0);
    expect((await stored(delivery))?.last_attempt?.error).toContain("refused non-global address");
  });

  it("dead-letters a delivery of a platform event without emitting another platform event", async () => {
    receiver.respond = { status: 503 };
    const delivery = await pendingDelivery(
      {},
      { type: "event_definition.changed", platform: true },
    );
    const handler = deliverer();
    for (let receive = 1; receive <= 4; receive++) {
      await whenDue(delivery);
      await handler(sqsEvent(delivery), context);
    }
    expect(receiver.requests).toHaveLength(4);
    expect((await stored(delivery))?.status).toBe("dead_lettered");
    expect(messaging.eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });
});

describe("faults", () => {
  it("reports only the failed record of a batch", async () => {
    const ok = await pendingDelivery();
    // Nothing listens on port 1: the connection is refused.
    const refused = await pendingDelivery({
      id: "sub_01JD0000000000000000000002",
      url: "http://127.0.0.1:1/hooks",
    });
    const result = await deliverer()(sqsEvent(ok, refused), context);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m-1" }]);
    expect((await stored(ok))?.status).toBe("succeeded");
    expect(await stored(refused)).toMatchObject({ status: "failed", attempt_count: 1 });
  });

  it("keeps the message when hiding it for the backoff fails", async () => {
    receiver.respond = { status: 500 };
    messaging.sqs.on(ChangeMessageVisibilityCommand).rejects(new Error("sqs down"));
    const delivery = await pendingDelivery();
    const result = await deliverer()(sqsEvent(delivery), context);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m-0" }]);
  });

  it("finishes the move to the DLQ when the last attempt was recorded but the move failed", async () => {
    receiver.respond = { status: 500 };
    const delivery = await pendingDelivery();
    const handler = deliverer();
    for (let receive = 1; receive <= 3; receive++) {
      await whenDue(delivery);
      await handler(sqsEvent(delivery), context);
    }
    await whenDue(delivery);
    messaging.sqs
      .on(SendMessageCommand, { QueueUrl: QUEUE_URLS.deadLetterQueueUrl })
      .rejectsOnce(new Error("sqs down"));
    const crashed = await handler(sqsEvent(delivery), context);
    expect(crashed.batchItemFailures).toHaveLength(1);
    expect((await stored(delivery))?.attempt_count).toBe(4);

    advance(60); // the message comes back after the queue's visibility timeout
    const redelivered = await handler(sqsEvent(delivery), context);
    expect(redelivered.batchItemFailures).toEqual([]);
    expect(receiver.requests).toHaveLength(4); // no fifth request
    expect((await stored(delivery))?.status).toBe("dead_lettered");
    // The notice went out on both tries as one event, so the fan-out delivers it once.
    const notices = messaging.publishedEvents();
    expect(notices).toHaveLength(2);
    expect(notices[1]?.event_id).toBe(notices[0]?.event_id);
  });

  it("lets the other deliverer win when it records the same attempt while this one is sending", async () => {
    const delivery = await pendingDelivery();
    receiver.respond = { status: 500 };
    // While this deliverer's request is in flight, another copy records attempt 1 first.
    receiver.beforeAnswer = () => anotherCopySucceeds(delivery);
    const result = await deliverer()(sqsEvent(delivery), context);
    expect(receiver.requests).toHaveLength(1);
    expect(result.batchItemFailures).toEqual([]);
    expect(messaging.sqs).toHaveReceivedCommandTimes(ChangeMessageVisibilityCommand, 0);
    expect(await stored(delivery)).toMatchObject({ status: "succeeded", attempt_count: 1 });
  });

  it("drops a second copy of a delivery's message, so it cannot skip the backoff", async () => {
    receiver.respond = { status: 500 };
    const delivery = await pendingDelivery();
    const handler = deliverer();
    await handler(sqsEvent(delivery), context); // attempt 1 fails; m-0 now carries the delivery
    const copy = sqsEvent(delivery);
    for (const record of copy.Records) record.messageId = "m-copy";
    const result = await handler(copy, context);
    expect(result.batchItemFailures).toEqual([]);
    expect(receiver.requests).toHaveLength(1);
    expect((await stored(delivery))?.attempt_count).toBe(1);
  });

  it("fails only the record whose body is not a delivery message", async () => {
    const ok = await pendingDelivery();
    const batch = sqsEvent(ok, ok);
    const [, broken] = batch.Records;
    if (broken) broken.body = "not json";
    const result = await deliverer()(batch, context);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m-1" }]);
    expect((await stored(ok))?.status).toBe("succeeded");
  });

  it("tells subscribers even when the first try to publish the dead-letter notice failed", async () => {
    receiver.respond = { status: 500 };
    const delivery = await pendingDelivery();
    const handler = deliverer();
    for (let receive = 1; receive <= 3; receive++) {
      await whenDue(delivery);
      await handler(sqsEvent(delivery), context);
    }
    await whenDue(delivery);
    messaging.eventBridge.on(PutEventsCommand).rejectsOnce(new Error("bus down"));
    const failed = await handler(sqsEvent(delivery), context);
    expect(failed.batchItemFailures).toHaveLength(1);
    expect((await stored(delivery))?.status).toBe("failed"); // not marked until all is done

    messaging.resetBus(); // SQS keeps the slow lane's message that carries the delivery now
    advance(60);
    const redelivered = await handler(sqsEvent(delivery), context);
    expect(redelivered.batchItemFailures).toEqual([]);
    expect(receiver.requests).toHaveLength(4);
    expect((await stored(delivery))?.status).toBe("dead_lettered");
    const [notice] = messaging.publishedEvents();
    expect(notice).toMatchObject({ type: "delivery.dead_lettered", payload: { id: delivery.id } });
    expect(messaging.sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: QUEUE_URLS.deadLetterQueueUrl,
    });
  });
});

describe("signing secrets sealed at rest", () => {
  const kms = mockKms();
  afterEach(() => kms.reset());
  afterAll(() => kms.restore());

  /** A subscription of the receiver made through the API; its delivery and its secret. */
  async function subscribedThroughApi(vault: SecretVault = testVault) {
    const policy = { allowPrivateUrls: true, requireHttps: false };
    const call = apiClient(store, messaging, clock, apiKey, policy, vault);
    const created = await call({
      method: "POST",
      path: "/api/v2/webhooks",
      body: { url: receiver.url, events: ["*"] },
    });
    expect(created.status).toBe(201);
    const subscription = await store.getSubscription(appId, created.body.id);
    if (!subscription) throw new Error("the subscription was not stored");
    const newDelivery = async (eventId: string) => {
      const event = appEvent(appId, { event_id: eventId });
      const delivery = webhookDelivery(subscription, event, event.payload ?? {}, clock.now());
      await store.createDelivery(delivery);
      return delivery;
    };
    return {
      call,
      id: created.body.id as string,
      secret: created.body.secret as string,
      newDelivery,
    };
  }

  const verifies = (secret: string, index = 0) => {
    const request = receiver.requests[index];
    return () => new Webhook(secret).verify(request?.body ?? "", request?.headers as never);
  };

  it("signs with the secret the API answered, while the table holds it only sealed", async () => {
    const { secret, newDelivery } = await subscribedThroughApi();
    const [item] = await table.items("subscription");
    expect(JSON.stringify(item)).not.toContain("whsec_");
    expect(JSON.stringify(item)).not.toContain(secret.slice("whsec_".length));

    await deliverer()(sqsEvent(await newDelivery("evt_01JD0000000000000000000010")), context);
    expect(verifies(secret)).not.toThrow();
    const key = Buffer.from(secret.slice("whsec_".length), "base64");
    const request = receiver.requests[0];
    expect(request?.headers["x-switchyard-signature"]).toBe(
      createHmac("sha256", key)
        .update(request?.body ?? "")
        .digest("hex"),
    );
  });

  it("signs with both sealed secrets after a rotation through the API", async () => {
    const { call, id, secret, newDelivery } = await subscribedThroughApi();
    const rotated = await call({ method: "POST", path: `/api/v2/webhooks/${id}/rotate-secret` });
    await deliverer()(sqsEvent(await newDelivery("evt_01JD0000000000000000000011")), context);
    expect(String(receiver.requests[0]?.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(verifies(secret)).not.toThrow();
    expect(verifies(rotated.body.secret)).not.toThrow();
    expect(JSON.stringify(await table.items("subscription"))).not.toContain("whsec_");
  });

  it("still signs with a secret an older version stored in clear", async () => {
    const delivery = await pendingDelivery(); // secrets: [{ secret: "whsec_…" }], as before sealing
    expect(JSON.stringify(await table.items("subscription"))).toContain(SECRET);
    await deliverer()(sqsEvent(delivery), context);
    expect(verifies(SECRET)).not.toThrow();
    expect((await stored(delivery))?.status).toBe("succeeded");
  });

  it("makes no KMS call per delivery once warm: one Decrypt for every delivery of the container", async () => {
    const wrapper = kmsKeyWrapper(testKmsClient(), TEST_KMS_KEY_ID);
    const { secret, newDelivery } = await subscribedThroughApi(createEnvelopeVault(wrapper));
    kms.kms.resetHistory();
    const handler = deliverer({ vault: createEnvelopeVault(wrapper) }); // another container
    for (let batch = 0; batch < 3; batch++) {
      const deliveries = [
        await newDelivery(`evt_01JD00000000000000000002${batch}A`),
        await newDelivery(`evt_01JD00000000000000000002${batch}B`),
      ];
      expect(await handler(sqsEvent(...deliveries), context)).toEqual({ batchItemFailures: [] });
    }
    expect(receiver.requests).toHaveLength(6);
    for (const index of receiver.requests.keys()) expect(verifies(secret, index)).not.toThrow();
    expect(kms.kms).toHaveReceivedCommandTimes(DecryptCommand, 1);
    expect(kms.kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 0);
  });

  it("keeps the message, sending nothing, when KMS cannot be reached to open the secret", async () => {
    const wrapper = kmsKeyWrapper(testKmsClient(), TEST_KMS_KEY_ID);
    const { newDelivery } = await subscribedThroughApi(createEnvelopeVault(wrapper));
    kms.kms.on(DecryptCommand).rejects(
      new KMSServiceException({
        name: "ThrottlingException",
        $fault: "client",
        $metadata: {},
        message: "slow down",
      }),
    );
    const delivery = await newDelivery("evt_01JD0000000000000000000030");
    const result = await deliverer({ vault: createEnvelopeVault(wrapper) })(
      sqsEvent(delivery),
      context,
    );
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m-0" }]);
    expect(receiver.requests).toHaveLength(0);
    expect((await stored(delivery))?.attempt_count).toBe(0); // no attempt spent
  });

  it("records a failed attempt, sending nothing, when no live secret can be decrypted", async () => {
    const lostKey = createEnvelopeVault(aesKeyWrapper(Buffer.alloc(32, 7)));
    const sealed = await lostKey.seal(SECRET);
    const delivery = await pendingDelivery({
      secrets: [{ sealed, created_at: "", expires_at: null }],
    });
    const result = await deliverer()(sqsEvent(delivery), context);
    expect(result.batchItemFailures).toHaveLength(1); // retried with the backoff
    expect(receiver.requests).toHaveLength(0);
    expect((await stored(delivery))?.last_attempt?.error).toBe(
      "the webhook's signing secret cannot be decrypted",
    );
  });

  it("signs with the new secret alone when the one kept for the overlap cannot be decrypted", async () => {
    const lostKey = createEnvelopeVault(aesKeyWrapper(Buffer.alloc(32, 7)));
    const delivery = await pendingDelivery({
      secrets: [
        { sealed: await testVault.seal(SECRET), created_at: "", expires_at: null },
        {
          sealed: await lostKey.seal(OLD_SECRET),
          created_at: "",
          expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        },
      ],
    });
    await deliverer()(sqsEvent(delivery), context);
    expect(String(receiver.requests[0]?.headers["webhook-signature"]).split(" ")).toHaveLength(1);
    expect(verifies(SECRET)).not.toThrow();
  });
});

describe("a backoff longer than SQS can hide a message", () => {
  it("asks SQS for at most the cap, hides the message again when it comes back early, and attempts once due", async () => {
    receiver.respond = { status: 500 };
    const delivery = await pendingDelivery();
    const handler = deliverer({ baseSeconds: 3600 });
    for (let receive = 1; receive <= 3; receive++) {
      await whenDue(delivery);
      await handler(sqsEvent(delivery), context);
    }
    // Retry 3 waits 12 h (16 h nominal, capped); SQS is asked for 11 h 40 min.
    expect(hides()).toEqual([3600, 14_400, MAX_HIDE_SECONDS]);
    expect(MAX_HIDE_SECONDS).toBe(42_000);
    const waiting = await stored(delivery);
    expect(waiting?.next_attempt_at).toBe(
      new Date(clock.now().getTime() + 43_200 * 1000).toISOString(),
    );

    advance(MAX_HIDE_SECONDS); // back 20 minutes early
    const early = await handler(sqsEvent(delivery), context);
    expect(early.batchItemFailures).toEqual([{ itemIdentifier: "m-0" }]);
    expect(hides().at(-1)).toBe(1200); // hidden again for the rest
    expect(receiver.requests).toHaveLength(3); // no request…
    expect(await stored(delivery)).toEqual(waiting); // …and no attempt spent
    expect(await store.listAttempts(appId, delivery.id)).toHaveLength(3);

    await whenDue(delivery);
    await handler(sqsEvent(delivery), context);
    expect(receiver.requests.map((r) => r.headers["x-switchyard-attempt"])).toEqual([
      "1",
      "2",
      "3",
      "4",
    ]);
    expect(await stored(delivery)).toMatchObject({ status: "dead_lettered", attempt_count: 4 });
    for (const seconds of hides()) expect(seconds).toBeLessThanOrEqual(MAX_HIDE_SECONDS);
  });

  it("makes no attempt when a message comes back before its backoff has passed", async () => {
    receiver.respond = { status: 500 };
    const delivery = await pendingDelivery();
    const handler = deliverer();
    await handler(sqsEvent(delivery), context);
    advance(10);
    const early = await handler(sqsEvent(delivery), context);
    expect(early.batchItemFailures).toEqual([{ itemIdentifier: "m-0" }]);
    expect(hides()).toEqual([30, 20]);
    expect(receiver.requests).toHaveLength(1);
    expect(await stored(delivery)).toMatchObject({ status: "failed", attempt_count: 1 });

    advance(20);
    await handler(sqsEvent(delivery), context);
    expect(receiver.requests.map((r) => r.headers["x-switchyard-attempt"])).toEqual(["1", "2"]);
  });
});

describe("the subscription as it is at the delivery's turn", () => {
  it("dead-letters a delivery of a disabled subscription without a request or an attempt", async () => {
    const delivery = await pendingDelivery({ enabled: false });
    const result = await deliverer()(sqsEvent(delivery), context);
    expect(result.batchItemFailures).toEqual([]);
    expect(receiver.requests).toHaveLength(0);
    expect(await stored(delivery)).toMatchObject({
      status: "dead_lettered",
      status_reason: "subscription_disabled",
      attempt_count: 0,
      last_attempt: null,
    });
    expect(await store.listAttempts(appId, delivery.id)).toEqual([]);
    expect(deadLetterMessages()).toEqual([
      expect.objectContaining({
        delivery_id: delivery.id,
        dead_letter: expect.objectContaining({ reason: "subscription_disabled" }),
      }),
    ]);
    expect(messaging.publishedEvents()).toEqual([
      expect.objectContaining({
        type: "delivery.dead_lettered",
        payload: expect.objectContaining({
          id: delivery.id,
          status_reason: "subscription_disabled",
        }),
      }),
    ]);
    const call = apiClient(store, messaging, clock, apiKey);
    const dlq = await call({ method: "GET", path: "/api/v2/dlq" });
    expect(dlq.body.data).toEqual([
      expect.objectContaining({ id: delivery.id, status_reason: "subscription_disabled" }),
    ]);
  });

  it("dead-letters at its next turn a delivery whose subscription was disabled during its backoff", async () => {
    receiver.respond = { status: 500 };
    const delivery = await pendingDelivery();
    const handler = deliverer();
    await handler(sqsEvent(delivery), context);
    const subscription = await store.getSubscription(appId, delivery.target.id);
    if (!subscription) throw new Error("no subscription");
    await store.replaceSubscription(appId, { ...subscription, enabled: false });

    await whenDue(delivery); // 30 s: longer than the subscription cache keeps it
    const result = await handler(sqsEvent(delivery), context);
    expect(result.batchItemFailures).toEqual([]);
    expect(receiver.requests).toHaveLength(1);
    expect(await stored(delivery)).toMatchObject({
      status: "dead_lettered",
      status_reason: "subscription_disabled",
      attempt_count: 1,
      last_attempt: { attempt: 1, status_code: 500 },
    });
  });

  it("discards a delivery of a deleted subscription and lets its message go, without a request", async () => {
    const delivery = await pendingDelivery();
    await store.deleteSubscription(appId, delivery.target.id);
    const result = await deliverer()(sqsEvent(delivery), context);
    expect(result.batchItemFailures).toEqual([]);
    expect(receiver.requests).toHaveLength(0);
    expect(await stored(delivery)).toMatchObject({
      status: "discarded",
      status_reason: "subscription_deleted",
      attempt_count: 0,
    });
    expect(await store.listAttempts(appId, delivery.id)).toEqual([]);
    expect(messaging.sqs).toHaveReceivedCommandTimes(ChangeMessageVisibilityCommand, 0);
    expect(messaging.sqs).toHaveReceivedCommandTimes(SendMessageCommand, 0);
    expect(messaging.eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);

    const call = apiClient(store, messaging, clock, apiKey);
    const discarded = await call({
      method: "GET",
      path: "/api/v2/deliveries",
      query: { status: "discarded" },
    });
    expect(discarded.status).toBe(200);
    expect(discarded.body.data).toEqual([
      expect.objectContaining({
        id: delivery.id,
        status: "discarded",
        status_reason: "subscription_deleted",
      }),
    ]);
    const dlq = await call({ method: "GET", path: "/api/v2/dlq" });
    expect(dlq.body.data).toEqual([]);
  });

  it("discards at its next turn a delivery whose subscription was deleted during its backoff", async () => {
    receiver.respond = { status: 500 };
    const delivery = await pendingDelivery();
    const handler = deliverer();
    await handler(sqsEvent(delivery), context);
    await store.deleteSubscription(appId, delivery.target.id);
    await whenDue(delivery);
    const result = await handler(sqsEvent(delivery), context);
    expect(result.batchItemFailures).toEqual([]);
    expect(receiver.requests).toHaveLength(1);
    expect(await stored(delivery)).toMatchObject({
      status: "discarded",
      status_reason: "subscription_deleted",
      attempt_count: 1,
    });
  });

  it("sends the next attempt to the subscription's new URL and shows that URL on the delivery", async () => {
    receiver.respond = { status: 500 };
    const delivery = await pendingDelivery();
    const handler = deliverer();
    await handler(sqsEvent(delivery), context);
    const subscription = await store.getSubscription(appId, delivery.target.id);
    if (!subscription) throw new Error("no subscription");
    const moved = receiver.url.replace("/hooks", "/hooks-v2");
    await store.replaceSubscription(appId, { ...subscription, url: moved });

    receiver.respond = { status: 200, body: "ok" };
    await whenDue(delivery);
    await handler(sqsEvent(delivery), context);
    expect(receiver.requests.map((r) => r.path)).toEqual(["/hooks", "/hooks-v2"]);
    expect(await stored(delivery)).toMatchObject({ status: "succeeded", url: moved });
    const call = apiClient(store, messaging, clock, apiKey);
    const detail = await call({ method: "GET", path: `/api/v2/deliveries/${delivery.id}` });
    expect(detail.body.url).toBe(moved);
  });

  it("reads a subscription at most 4 s stale (a change applies within SPEC's 5 s)", async () => {
    const first = await pendingDelivery();
    const second = await pendingDelivery({}, { event_id: "evt_01JD0000000000000000000001" });
    const third = await pendingDelivery({}, { event_id: "evt_01JD0000000000000000000002" });
    const handler = deliverer();
    await handler(sqsEvent(first), context); // reads the subscription, enabled
    const subscription = await store.getSubscription(appId, first.target.id);
    if (!subscription) throw new Error("no subscription");
    await store.replaceSubscription(appId, { ...subscription, enabled: false });

    advance(3);
    await handler(sqsEvent(second), context);
    expect((await stored(second))?.status).toBe("succeeded"); // still the one read 3 s ago

    advance(1);
    await handler(sqsEvent(third), context);
    expect(await stored(third)).toMatchObject({
      status: "dead_lettered",
      status_reason: "subscription_disabled",
    });
    expect(receiver.requests).toHaveLength(2);
  });
});

describe("dead-lettering that stops between the move and the mark", () => {
  it("is finished by the dead-letter consumer, and the message left in the delivery queue finds it done", async () => {
    receiver.respond = { status: 500 };
    const delivery = await pendingDelivery();
    let failMark = false;
    const flaky: Store = {
      ...store,
      async setDeliveryStatus(...args) {
        if (failMark) {
          failMark = false;
          throw new Error("dynamodb down");
        }
        return store.setDeliveryStatus(...args);
      },
    };
    const handler = deliverer({ store: flaky });
    for (let receive = 1; receive <= 3; receive++) {
      await whenDue(delivery);
      await handler(sqsEvent(delivery), context);
    }
    await whenDue(delivery);
    failMark = true;
    const stopped = await handler(sqsEvent(delivery), context);
    expect(stopped.batchItemFailures).toEqual([{ itemIdentifier: "m-0" }]);
    expect((await stored(delivery))?.status).toBe("failed");

    // The copy in the dead-letter queue reaches the consumer…
    const [moved] = deadLetterMessages();
    const consumer = createDeadLetterHandler({ store, bus: messaging.bus, clock });
    const dlqEvent = sqsEvent(delivery);
    for (const record of dlqEvent.Records) record.body = JSON.stringify(moved);
    expect(await consumer(dlqEvent, context)).toEqual({ batchItemFailures: [] });
    expect(await stored(delivery)).toMatchObject({
      status: "dead_lettered",
      status_reason: "retries_exhausted",
      attempt_count: 4,
    });
    const notices = messaging.publishedEvents();
    expect(notices).toHaveLength(2);
    expect(notices[1]?.event_id).toBe(notices[0]?.event_id);

    // …and the message the deliverer kept comes back to find it done.
    advance(60);
    const again = await handler(sqsEvent(delivery), context);
    expect(again.batchItemFailures).toEqual([]);
    expect(receiver.requests).toHaveLength(4);
    expect(deadLetterMessages()).toHaveLength(1);
  });
});

describe("what each turn of a delivery comes to", () => {
  /** The delivery's message `m-0` as it comes now: from the slow lane once forwarded there. */
  const message = (delivery: Delivery) =>
    latestMessageOf(JSON.stringify({ v: 1, app_id: delivery.app_id, delivery_id: delivery.id }));

  /** One turn of the delivery's message `m-0`, followed into the slow lane when forwarded. */
  const turn = async (delivery: Delivery, deps = delivererDeps(), messageId = "m-0") => {
    const lane = message(delivery).slow_lane ? "slow" : "main";
    const outcome = await deliver(deps, message(delivery), {
      messageId,
      receiptHandle: "rh-0",
      lane,
    });
    if (outcome.kind !== "diverted") return outcome;
    return deliver(deps, message(delivery), { messageId, receiptHandle: "rh-0", lane: "slow" });
  };

  it("a move to the slow lane, without a request, once its subscription has failed", async () => {
    receiver.respond = { status: 500 };
    const delivery = await pendingDelivery();
    const deps = delivererDeps();
    const mainLane = { v: 1, app_id: appId, delivery_id: delivery.id } as const;
    await deliver(deps, mainLane, { messageId: "m-0", receiptHandle: "rh-0", lane: "main" });
    await whenDue(delivery);

    expect(
      await deliver(deps, mainLane, { messageId: "m-0", receiptHandle: "rh-0", lane: "main" }),
    ).toEqual({
      kind: "diverted",
    });
    expect(receiver.requests).toHaveLength(1);
    expect(slowLaneMessages()).toEqual([
      { ...mainLane, slow_lane: { carrier: expect.any(String), from: "m-0" } },
    ]);
  });

  it("a success, with its attempt and the URL it went to", async () => {
    const delivery = await pendingDelivery();
    expect(await turn(delivery)).toEqual({
      kind: "succeeded",
      attempt: expect.objectContaining({ attempt: 1, status_code: 200, error: null }),
      url: receiver.url,
      health: null,
      slow: null,
    });
  });

  it("a failure to retry, with the backoff before the next attempt", async () => {
    receiver.respond = { status: 500 };
    const delivery = await pendingDelivery();
    const deps = delivererDeps();
    expect(await turn(delivery, deps)).toEqual({
      kind: "retrying",
      attempt: expect.objectContaining({ attempt: 1, status_code: 500, error: "HTTP 500" }),
      url: receiver.url,
      delaySeconds: 30,
      health: null,
      slow: null,
    });
    await whenDue(delivery);
    expect(await turn(delivery, deps)).toMatchObject({ kind: "retrying", delaySeconds: 120 });
  });

  it("a dead letter after the last retry, with the last attempt", async () => {
    receiver.respond = { status: 500 };
    const delivery = await pendingDelivery();
    const deps = delivererDeps();
    for (let attempt = 1; attempt <= 3; attempt++) {
      await turn(delivery, deps);
      await whenDue(delivery);
    }
    expect(await turn(delivery, deps)).toEqual({
      kind: "dead_lettered",
      reason: "retries_exhausted",
      attempt: expect.objectContaining({ attempt: 4, status_code: 500 }),
      health: null,
      slow: null,
      disabled: null,
    });
  });

  it("a dead letter finished from the recorded last attempt after a fault part-way", async () => {
    receiver.respond = { status: 500 };
    const delivery = await pendingDelivery();
    const deps = delivererDeps();
    for (let attempt = 1; attempt <= 3; attempt++) {
      await turn(delivery, deps);
      await whenDue(delivery);
    }
    messaging.sqs
      .on(SendMessageCommand, { QueueUrl: QUEUE_URLS.deadLetterQueueUrl })
      .rejectsOnce(new Error("sqs down"));
    await expect(turn(delivery, deps)).rejects.toThrow("sqs down");
    expect(await turn(delivery, deps)).toEqual({
      kind: "dead_lettered",
      reason: "retries_exhausted",
      attempt: expect.objectContaining({ attempt: 4 }),
      disabled: null,
    });
    expect(receiver.requests).toHaveLength(4);
    expect(await stored(delivery)).toMatchObject({
      status: "dead_lettered",
      status_reason: "retries_exhausted",
    });
  });

  it("a dead letter without an attempt for a disabled subscription, a discard for a deleted one", async () => {
    const disabled = await pendingDelivery({
      id: "sub_01JD0000000000000000000011",
      enabled: false,
    });
    expect(await turn(disabled)).toEqual({
      kind: "dead_lettered",
      reason: "subscription_disabled",
      attempt: null,
    });
    const orphan = await pendingDelivery({ id: "sub_01JD0000000000000000000012" });
    await store.deleteSubscription(appId, "sub_01JD0000000000000000000012");
    expect(await turn(orphan)).toEqual({ kind: "discarded" });
    expect(receiver.requests).toHaveLength(0);
  });

  it("a hold when the message is back before its attempt is due", async () => {
    receiver.respond = { status: 500 };
    const delivery = await pendingDelivery();
    const deps = delivererDeps();
    await turn(delivery, deps);
    expect(await turn(delivery, deps)).toEqual({
      kind: "held",
      reason: "backoff",
      until: new Date(String((await stored(delivery))?.next_attempt_at)),
    });
  });

  it("nothing when another deliverer recorded the same attempt while this one was sending", async () => {
    const delivery = await pendingDelivery();
    receiver.beforeAnswer = () => anotherCopySucceeds(delivery);
    expect(await turn(delivery)).toEqual({ kind: "skipped" });
  });

  it("nothing for a duplicate of an ended delivery, or for a copy another message carries", async () => {
    const ended = await pendingDelivery({ id: "sub_01JD0000000000000000000013" });
    await turn(ended);
    expect(await turn(ended)).toEqual({ kind: "skipped" });

    receiver.respond = { status: 500 };
    const carried = await pendingDelivery({ id: "sub_01JD0000000000000000000014" });
    await turn(carried, delivererDeps(), "m-first");
    expect(await turn(carried, delivererDeps(), "m-copy")).toEqual({ kind: "skipped" });
  });
});
