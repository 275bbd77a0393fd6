import { randomBytes } from "node:crypto";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { createDeliveryQueue } from "../../functions/adapters/delivery-queue.ts";
import { createEventPublisher } from "../../functions/adapters/event-publisher.ts";
import { createHttpSender } from "../../functions/adapters/http-sender.ts";
import { aesKeyWrapper } from "../../functions/adapters/secrets/aes-key-wrapper.ts";
import { createEnvelopeVault } from "../../functions/adapters/secrets/envelope-vault.ts";
import { checkWebhookUrl, type UrlPolicy } from "../../functions/adapters/url-guard.ts";
import { createApiHandler } from "../../functions/api/handler.ts";
import type { Clock } from "../../functions/core/clock.ts";
import type {
  DeliveryQueue,
  EventPublisher,
  SecretVault,
  Store,
  WebhookSender,
} from "../../functions/core/ports.ts";
import { createApp } from "../../functions/core/services/apps.ts";
import type { DeliverDeps } from "../../functions/core/services/deliver.ts";
import { isTriggerRoute } from "../../functions/http/paths.ts";
import { createTriggerHandler } from "../../functions/trigger/handler.ts";
import { USER_AGENT } from "../../functions/version.ts";
import { type ApiCall, apiEvent, lambdaContext } from "./api-event.ts";
import { startTestTable, type TestTable } from "./dynamo.ts";

export const QUEUE_URLS = {
  deliveryQueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/deliveries",
  slowDeliveryQueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/deliveries-slow",
  deadLetterQueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/deliveries-dlq",
  orderedDeliveryQueueUrl:
    "https://sqs.us-east-1.amazonaws.com/123456789012/deliveries-ordered.fifo",
  orderedDeadLetterQueueUrl:
    "https://sqs.us-east-1.amazonaws.com/123456789012/deliveries-ordered-dlq.fifo",
};
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const noPause = async () => {};

/**
 * The secret vault of the API and deliverer in tests: the real envelope encryption, with data
 * keys wrapped under a random key of this test file (as the local runtime's `secrets.key`).
 */
export const testVault: SecretVault = createEnvelopeVault(aesKeyWrapper(randomBytes(32)));

/** EventBridge and SQS, mocked; every PutEvents and SendMessageBatch succeeds unless told. */
export function mockMessaging() {
  const eventBridge = mockClient(EventBridgeClient);
  const sqs = mockClient(SQSClient);
  const busSucceeds = () =>
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries?: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: (input.Entries ?? []).map((_, index) => ({ EventId: `eb-${index}` })),
    }));
  const succeed = () => {
    busSucceeds();
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries?: { Id?: string }[] }) => ({
      Successful: (input.Entries ?? []).map((entry) => ({ Id: entry.Id })),
      Failed: [],
    }));
    sqs.on(SendMessageCommand).resolves({ MessageId: "dlq-1" });
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  };
  succeed();
  const bus: EventPublisher = createEventPublisher(
    new EventBridgeClient({ region: "us-east-1", credentials }),
    "switchyard-test",
    noPause,
  );
  const queue: DeliveryQueue = createDeliveryQueue(
    new SQSClient({ region: "us-east-1", credentials }),
    QUEUE_URLS,
    noPause,
  );
  return {
    eventBridge,
    sqs,
    bus,
    queue,
    reset() {
      eventBridge.reset();
      sqs.reset();
      succeed();
    },
    /** Resets the bus alone (its faults and its history); SQS keeps what it was sent. */
    resetBus() {
      eventBridge.reset();
      busSucceeds();
    },
    restore() {
      eventBridge.restore();
      sqs.restore();
    },
    /** The Detail of every entry put on the bus so far, parsed. */
    publishedEvents(): Record<string, unknown>[] {
      return eventBridge
        .commandCalls(PutEventsCommand)
        .flatMap((call) => call.args[0].input.Entries ?? [])
        .map((entry) => JSON.parse(entry.Detail ?? "{}"));
    },
  };
}

export type Messaging = ReturnType<typeof mockMessaging>;

/**
 * What a test's deliverer runs on: its store, the mocked queues and bus, the test vault, and
 * the default retries (3, from 30 s) with the jitter fixed at its middle.
 */
export function testDelivererDeps(
  store: Store,
  messaging: Messaging,
  clock: Clock,
  sender: WebhookSender,
): DeliverDeps {
  return {
    store,
    queue: messaging.queue,
    bus: messaging.bus,
    sender,
    clock,
    vault: testVault,
    retry: { maxRetries: 3, baseSeconds: 30 },
    probeLeaseMs: 15_000,
    userAgent: "Switchyard/test",
    random: () => 0.5,
  };
}

export const fixedClock = (
  iso = "2026-11-23T01:28:00.000Z",
): Clock & { set(iso: string): void } => {
  let now = new Date(iso);
  return { now: () => new Date(now), set: (next) => (now = new Date(next)) };
};

export type Invoke = (call: Omit<ApiCall, "apiKey"> & { apiKey?: string | null }) => Promise<{
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: answers are JSON, asserted field by field
  body: any;
  headers: Record<string, string | number | boolean>;
}>;

/** The trigger and management APIs over one store, called as API Gateway would. */
export function apiClient(
  store: Store,
  messaging: Messaging,
  clock: Clock,
  defaultKey: string,
  policy: UrlPolicy = { allowPrivateUrls: false, requireHttps: true },
  vault: SecretVault = testVault,
) {
  // Names resolve to a public address without asking DNS; "*.internal" hosts to a private one.
  const resolve = async (host: string) => [
    host.endsWith(".internal") ? "10.0.0.7" : "93.184.215.14",
  ];
  const checkUrl = (url: string) => checkWebhookUrl(url, policy, resolve);
  // A test run's request goes out for real, under the same policy; made at its first send.
  let sender: ReturnType<typeof createHttpSender> | undefined;
  const testRunSender: WebhookSender = {
    send(request) {
      sender ??= createHttpSender({ timeoutMs: 2_000, allowPrivateUrls: policy.allowPrivateUrls });
      return sender.send(request);
    },
  };
  const api = createApiHandler({
    store,
    bus: messaging.bus,
    clock,
    checkUrl,
    vault,
    sender: testRunSender,
    userAgent: USER_AGENT,
    queue: messaging.queue,
  });
  const trigger = createTriggerHandler({
    store,
    bus: messaging.bus,
    queue: messaging.queue,
    clock,
  });
  const invoke: Invoke = async (call) => {
    const apiKey = call.apiKey === null ? undefined : (call.apiKey ?? defaultKey);
    const handler = isTriggerRoute(call.method, call.path) ? trigger : api;
    const result = (await handler(
      apiEvent({ ...call, apiKey }),
      lambdaContext,
    )) as APIGatewayProxyStructuredResultV2;
    return {
      status: result.statusCode ?? 200,
      body: result.body ? JSON.parse(result.body) : undefined,
      headers: result.headers ?? {},
    };
  };
  return invoke;
}

/** A new app in the store and its API key. */
export async function newApp(store: Store, clock: Clock, name = "Acme") {
  const { app, apiKey } = await createApp(store, name, clock);
  return { appId: app.id, apiKey };
}

export interface Pipeline {
  table: TestTable;
  messaging: Messaging;
}

/**
 * Registers the hooks every handler test needs: an in-memory DynamoDB and mocked EventBridge
 * and SQS for the file, mocks reset before each test. Read the fields inside tests and hooks.
 */
export function usePipeline(): Pipeline {
  const pipeline = {} as Pipeline;
  beforeAll(async () => {
    pipeline.table = await startTestTable();
    pipeline.messaging = mockMessaging();
  });
  beforeEach(() => pipeline.messaging.reset());
  afterAll(async () => {
    pipeline.messaging?.restore();
    await pipeline.table?.close();
  });
  return pipeline;
}

/** A new empty table with one app in it, and an API client acting as that app. */
export async function freshApp(pipeline: Pipeline, clock = fixedClock()) {
  const store = await pipeline.table.freshStore();
  const { appId, apiKey } = await newApp(store, clock);
  const call = apiClient(store, pipeline.messaging, clock, apiKey);
  return { store, clock, appId, apiKey, call };
}
