import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Message } from "@aws-sdk/client-sqs";
import type { EventBridgeEvent, SQSEvent, SQSRecord } from "aws-lambda";
import { createHttpSender } from "../functions/adapters/http-sender.ts";
import { busFor, queueFor, storeFor } from "../functions/adapters/index.ts";
import { checkWebhookUrl } from "../functions/adapters/url-guard.ts";
import { createApiHandler } from "../functions/api/handler.ts";
import type { Config } from "../functions/config.ts";
import { systemClock } from "../functions/core/clock.ts";
import { DELIVERY_BATCH_SIZE, deliveryQueueSettings } from "../functions/core/delivery-settings.ts";
import type { RoutedEvent } from "../functions/core/model.ts";
import { createDelivererHandler } from "../functions/deliverer/handler.ts";
import { createFanOutHandler } from "../functions/fanout/handler.ts";
import { createTriggerHandler } from "../functions/trigger/handler.ts";
import { USER_AGENT } from "../functions/version.ts";
import { startApiServer } from "./api-server.ts";
import { LOCAL_CREDENTIALS } from "./emulators/credentials.ts";
import { startDynamo } from "./emulators/dynamodb.ts";
import { startSqs } from "./emulators/sqs.ts";
import { startLocalBus } from "./event-bus.ts";
import { ensureLocalApp, type LocalApp } from "./local-app.ts";
import { openLocalSecretVault } from "./secrets-key.ts";
import type { LocalSettings } from "./settings.ts";
import { startPoller } from "./sqs-poller.ts";

/** Deliverer invocations handled at once, as Lambda scales an SQS source out. */
const DELIVERER_CONCURRENCY = 4;

export interface Runtime {
  apiUrl: string;
  app: LocalApp;
  config: Config;
  stop(): Promise<void>;
}

/**
 * Starts Switchyard on this machine: dynalite and fauxqs in process, a local bus, the API
 * server and the delivery poller, all wired to the same handlers the Lambda functions run.
 */
export async function startRuntime(
  settings: LocalSettings,
  onError: (error: unknown) => void,
): Promise<Runtime> {
  mkdirSync(settings.dataDir, { recursive: true });
  const base = settings.functions;
  const queueSettings = deliveryQueueSettings({
    maxRetries: base.retry.maxRetries,
    retryBaseSeconds: base.retry.baseSeconds,
    deliveryTimeoutSeconds: base.deliveryTimeoutMs / 1000,
  });
  const dynamo = await startDynamo(settings.dataDir, base.tableName);
  const sqs = await startSqs(settings.dataDir, queueSettings);
  const withEndpoints = (eventbridge?: string): Config => ({
    ...base,
    deliveryQueueUrl: sqs.queues.deliveryQueueUrl,
    deadLetterQueueUrl: sqs.queues.deadLetterQueueUrl,
    aws: {
      region: base.aws.region,
      endpoints: { dynamodb: dynamo.endpoint, sqs: sqs.endpoint, eventbridge },
      credentials: LOCAL_CREDENTIALS,
    },
  });

  // The fan-out needs no bus, so it can be the bus's target before the bus has an address.
  const early = withEndpoints();
  const store = storeFor(early);
  const queue = queueFor(early);
  const fanOut = createFanOutHandler({ store, queue, clock: systemClock });
  const bus = await startLocalBus({
    sqs: sqs.client,
    targetQueueUrls: sqs.queues.busTargetQueueUrls,
    targets: {
      // The fan-out checks the detail itself, as it must for anything EventBridge hands it.
      fanout: (event) =>
        fanOut(event as EventBridgeEvent<string, RoutedEvent>, lambdaContext("fanout")),
    },
    onError,
  });
  const config = withEndpoints(bus.endpoint);
  const publisher = busFor(config);
  const app = await ensureLocalApp(store, settings.dataDir, settings.apiKey, systemClock);
  const vault = openLocalSecretVault(settings.dataDir);

  const sender = createHttpSender({
    timeoutMs: config.deliveryTimeoutMs,
    allowPrivateUrls: config.allowPrivateUrls,
  });
  const deliverer = createDelivererHandler({
    store,
    queue,
    bus: publisher,
    sender,
    clock: systemClock,
    vault,
    retry: config.retry,
    userAgent: USER_AGENT,
  });
  const delivery = startPoller({
    client: sqs.client,
    queueUrl: sqs.queues.deliveryQueueUrl,
    batchSize: DELIVERY_BATCH_SIZE,
    concurrency: DELIVERER_CONCURRENCY,
    // Nothing throttles a local deliverer, so a message it was handling when the runtime died
    // needs to stay hidden only as long as one attempt can take, not the queue's 6 × margin.
    visibilityTimeoutSeconds: Math.ceil(config.deliveryTimeoutMs / 1000) + 5,
    onError,
    handle: async (messages) => {
      const { batchItemFailures } = await deliverer(sqsEvent(messages), lambdaContext("deliverer"));
      return new Set(batchItemFailures.map((failure) => failure.itemIdentifier));
    },
  });

  const trigger = createTriggerHandler({ store, bus: publisher, clock: systemClock });
  const management = createApiHandler({
    store,
    bus: publisher,
    clock: systemClock,
    checkUrl: (url) => checkWebhookUrl(url, config),
    vault,
    onNoticeError: onError,
  });
  const api = await startApiServer({
    port: settings.port,
    trigger: (event) => trigger(event, lambdaContext("trigger")),
    api: (event) => management(event, lambdaContext("api")),
    health: async () => ({
      dynamodb: await dynamo.healthy(),
      sqs: await sqs.healthy(),
      bus: bus.healthy(),
      deliverer: delivery.running(),
    }),
    onError,
  });
  writeFileSync(
    join(settings.dataDir, "runtime.json"),
    `${JSON.stringify({ pid: process.pid, api_url: api.url, started_at: new Date().toISOString() }, null, 2)}\n`,
  );

  return {
    apiUrl: api.url,
    app,
    config,
    async stop() {
      await api.stop();
      await delivery.stop();
      await bus.stop();
      sender.close();
      await sqs.stop();
      await dynamo.stop();
    },
  };
}

/** The event Lambda's SQS source hands the deliverer. */
function sqsEvent(messages: Message[]): SQSEvent {
  return {
    Records: messages.map(
      (message): SQSRecord => ({
        messageId: message.MessageId ?? "",
        receiptHandle: message.ReceiptHandle ?? "",
        body: message.Body ?? "",
        attributes: message.Attributes as unknown as SQSRecord["attributes"],
        messageAttributes: {},
        md5OfBody: message.MD5OfBody ?? "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:switchyard-deliveries",
        awsRegion: "us-east-1",
      }),
    ),
  };
}

function lambdaContext(name: string) {
  return { functionName: `switchyard-${name}`, awsRequestId: crypto.randomUUID() } as never;
}
