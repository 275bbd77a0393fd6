import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SQSEvent } from "aws-lambda";
import { busFor } from "../functions/adapters/deployment/bus.ts";
import { queueFor } from "../functions/adapters/deployment/queue.ts";
import { storeFor } from "../functions/adapters/deployment/store.ts";
import { createHttpSender } from "../functions/adapters/http-sender.ts";
import { checkWebhookUrl } from "../functions/adapters/url-guard.ts";
import { createApiHandler } from "../functions/api/handler.ts";
import type { Config } from "../functions/config.ts";
import { BUS_RULES } from "../functions/core/bus-rules.ts";
import { systemClock } from "../functions/core/clock.ts";
import {
  DEFAULT_CONCURRENCY,
  DELIVERY_BATCH_SIZE,
  deliveryQueueSettings,
  ORDERED_DELIVERY_BATCH_SIZE,
} from "../functions/core/delivery-settings.ts";
import { probeLeaseMs, slowAfterMs } from "../functions/core/subscription-health.ts";
import { createDeadLetterHandler } from "../functions/dead-letters/handler.ts";
import { createDelivererHandler } from "../functions/deliverer/handler.ts";
import { createFanOutHandler } from "../functions/fanout/handler.ts";
import { createRunnerHandler } from "../functions/runner/handler.ts";
import { createTriggerHandler } from "../functions/trigger/handler.ts";
import { USER_AGENT } from "../functions/version.ts";
import { startApiServer } from "./api-server.ts";
import { watchDeadLetters } from "./dead-letter-watch.ts";
import { LOCAL_CREDENTIALS } from "./emulators/credentials.ts";
import { startDynamo } from "./emulators/dynamodb.ts";
import { inProcessClientOptions } from "./emulators/in-process.ts";
import { serveEmulators } from "./emulators/servers.ts";
import { startSqs } from "./emulators/sqs.ts";
import { serveEmulatorsInThread } from "./emulators/threaded.ts";
import { startLocalBus } from "./event-bus.ts";
import { startEventSource } from "./event-source.ts";
import { crashingPublisher, failingFanOut } from "./faults.ts";
import { ensureLocalApp, type LocalApp } from "./local-app.ts";
import { RUNTIME_FILE } from "./runtime-file.ts";
import { openLocalSecretVault } from "./secrets-key.ts";
import type { LocalSettings } from "./settings.ts";

/**
 * How long a fan-out or dead-letter batch stays hidden once received. The stack's queues hide
 * it for six times the function's timeout (3 minutes), so a failed record comes back 3 minutes
 * later; a local function takes milliseconds, so here it comes back within seconds.
 */
const LOCAL_RETRY_VISIBILITY_SECONDS = 2;

export interface Runtime {
  apiUrl: string;
  app: LocalApp;
  config: Config;
  stop(): Promise<void>;
}

/**
 * Starts Switchyard on this machine: dynalite and fauxqs in a thread of their own, a local bus that feeds
 * each rule's queue, an event source per queue (fan-out, deliverer) and the API server, all
 * wired to the same handlers the Lambda functions run.
 */
export async function startRuntime(
  settings: LocalSettings,
  onError: (error: unknown) => void,
  options: { emulators?: "thread" | "inline" } = {},
): Promise<Runtime> {
  mkdirSync(settings.dataDir, { recursive: true });
  const base = settings.functions;
  const queueSettings = deliveryQueueSettings({
    maxRetries: base.retry.maxRetries,
    retryBaseSeconds: base.retry.baseSeconds,
    deliveryTimeoutSeconds: base.deliveryTimeoutMs / 1000,
  });
  // The emulators take a thread of their own, so they and the handlers use two cores;
  // `inline` keeps them on this one (the bench that meters dynalite from inside needs that).
  const servers =
    options.emulators === "inline"
      ? await serveEmulators(settings.dataDir)
      : await serveEmulatorsInThread(settings.dataDir, onError);
  const dynamo = await startDynamo(settings.dataDir, base.tableName, {
    endpoint: servers.dynamoEndpoint,
    dispatch: servers.dispatch.dynamodb,
  });
  const sqs = await startSqs(settings.dataDir, queueSettings, {
    endpoint: servers.sqsEndpoint,
    dispatch: servers.dispatch.sqs,
  });
  const { queues } = sqs;
  const bus = await startLocalBus({
    sqs: sqs.client,
    targetQueueUrls: new Map(
      [...queues.busTargets].map(([ruleId, target]) => [ruleId, target.queue.url]),
    ),
    onError,
  });
  const config: Config = {
    ...base,
    deliveryQueueUrl: queues.delivery.url,
    slowDeliveryQueueUrl: queues.slowDelivery.url,
    deadLetterQueueUrl: queues.deliveryDeadLetter.url,
    orderedDeliveryQueueUrl: queues.orderedDelivery.url,
    orderedDeadLetterQueueUrl: queues.orderedDeadLetter.url,
    aws: {
      region: base.aws.region,
      endpoints: { dynamodb: dynamo.endpoint, sqs: sqs.endpoint, eventbridge: bus.endpoint },
      credentials: LOCAL_CREDENTIALS,
      // The handlers' clients reach the emulators and the bus as the runtime's own do: in process.
      clientOverrides: {
        dynamodb: inProcessClientOptions(servers.dispatch.dynamodb),
        sqs: inProcessClientOptions(servers.dispatch.sqs),
        eventbridge: inProcessClientOptions(bus.dispatch),
      },
    },
  };
  const store = storeFor(config);
  const queue = queueFor(config);
  const publisher = busFor(config);
  const app = await ensureLocalApp(store, settings.dataDir, settings.apiKey, systemClock);
  const vault = openLocalSecretVault(settings.dataDir);

  // One event source per bus rule's queue, feeding its consumer as Lambda's mapping does.
  const fanOut = createFanOutHandler({ store, queue, clock: systemClock });
  const runner = createRunnerHandler({
    store,
    queue,
    bus: publisher,
    clock: systemClock,
    environment: config.environment,
  });
  const consumers = {
    fanout: failingFanOut(
      (event) => fanOut(event, lambdaContext("fanout")),
      settings.faults.fanOutFailures,
    ),
    runner: (event: SQSEvent) => runner(event, lambdaContext("runner")),
  };
  const busTargets = BUS_RULES.map((rule) => {
    const target = queues.busTargets.get(rule.id);
    if (!target) throw new Error(`no queue for bus rule ${rule.id}`);
    return startEventSource({
      client: sqs.client,
      queueUrl: target.queue.url,
      queueArn: target.queue.arn,
      batchSize: rule.queue.batchSize,
      concurrency: DEFAULT_CONCURRENCY.fanOut,
      visibilityTimeoutSeconds: LOCAL_RETRY_VISIBILITY_SECONDS,
      invoke: consumers[rule.consumer],
      onError,
    });
  });
  const deadLetterWatch = watchDeadLetters(
    sqs.client,
    BUS_RULES.flatMap((rule) => {
      const target = queues.busTargets.get(rule.id);
      return target
        ? [{ label: `${rule.consumer} dead-letter queue`, url: target.deadLetter.url }]
        : [];
    }),
    (message) => onError(message),
  );

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
    environment: config.environment,
    vault,
    retry: config.retry,
    disableAfterHours: config.disableAfterHours,
    probeLeaseMs: probeLeaseMs(config.deliveryTimeoutMs),
    slowAfterMs: slowAfterMs(config.deliveryTimeoutMs),
    userAgent: USER_AGENT,
  });
  // Three mappings of one function, as in the stack: the main lane, the slow lane and the
  // ordered lane, each with its own cap.
  const deliveryLanes = (
    [
      [queues.delivery, DEFAULT_CONCURRENCY.delivery, DELIVERY_BATCH_SIZE],
      [queues.slowDelivery, DEFAULT_CONCURRENCY.slowDelivery, DELIVERY_BATCH_SIZE],
      [queues.orderedDelivery, DEFAULT_CONCURRENCY.orderedDelivery, ORDERED_DELIVERY_BATCH_SIZE],
    ] as const
  ).map(([lane, concurrency, batchSize]) =>
    startEventSource({
      client: sqs.client,
      queueUrl: lane.url,
      queueArn: lane.arn,
      batchSize,
      concurrency,
      // Nothing throttles a local deliverer, so a message it was handling when the runtime died
      // needs to stay hidden only as long as one attempt can take, not the queue's 6 × margin.
      visibilityTimeoutSeconds: Math.ceil(config.deliveryTimeoutMs / 1000) + 5,
      invoke: (event) => deliverer(event, lambdaContext("deliverer")),
      onError,
    }),
  );
  // The delivery DLQ's consumer records every message there as a dead-lettered delivery.
  const deadLetters = createDeadLetterHandler({
    store,
    bus: publisher,
    clock: systemClock,
    environment: config.environment,
    disableAfterHours: config.disableAfterHours,
  });
  const deadLetterSources = [queues.deliveryDeadLetter, queues.orderedDeadLetter].map((dlq) =>
    startEventSource({
      client: sqs.client,
      queueUrl: dlq.url,
      queueArn: dlq.arn,
      batchSize: DELIVERY_BATCH_SIZE,
      concurrency: DEFAULT_CONCURRENCY.deadLetters,
      visibilityTimeoutSeconds: LOCAL_RETRY_VISIBILITY_SECONDS,
      invoke: (event) => deadLetters(event, lambdaContext("dead-letters")),
      onError,
    }),
  );

  const trigger = createTriggerHandler({
    store,
    bus: crashingPublisher(publisher, settings.faults.crash),
    queue,
    clock: systemClock,
  });
  const management = createApiHandler({
    store,
    bus: publisher,
    clock: systemClock,
    checkUrl: (url) => checkWebhookUrl(url, config),
    vault,
    sender,
    queue,
    userAgent: USER_AGENT,
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
      fanout: busTargets.every((poller) => poller.running()),
      deliverer: deliveryLanes.every((poller) => poller.running()),
      dead_letters: deadLetterSources.every((poller) => poller.running()),
    }),
    onError,
  });
  // Where this runtime serves, for the `switchyard` CLI and for tests (local/runtime-file.ts);
  // it holds the app's key, so only its owner may read it.
  const runtimeFile = join(settings.dataDir, RUNTIME_FILE);
  writeFileSync(
    runtimeFile,
    `${JSON.stringify(
      {
        pid: process.pid,
        api_url: api.url,
        api_key: app.apiKey,
        dynamodb_endpoint: dynamo.endpoint,
        table_name: config.tableName,
        sqs_endpoint: sqs.endpoint,
        queues: Object.fromEntries([
          ["delivery", queues.delivery.url],
          ["delivery_slow", queues.slowDelivery.url],
          ["delivery_dlq", queues.deliveryDeadLetter.url],
          ["delivery_ordered", queues.orderedDelivery.url],
          ["delivery_ordered_dlq", queues.orderedDeadLetter.url],
          ...[...queues.busTargets].flatMap(([ruleId, target]) => [
            [ruleId.toLowerCase(), target.queue.url],
            [`${ruleId.toLowerCase()}_dlq`, target.deadLetter.url],
          ]),
        ]),
        started_at: new Date().toISOString(),
      },
      null,
      2,
    )}\n`,
    { mode: 0o600 },
  );
  chmodSync(runtimeFile, 0o600); // the mode above applies to a new file only

  return {
    apiUrl: api.url,
    app,
    config,
    async stop() {
      await api.stop();
      deadLetterWatch.stop();
      await Promise.all(
        [...deliveryLanes, ...deadLetterSources, ...busTargets].map((poller) => poller.stop()),
      );
      await bus.stop();
      sender.close();
      await sqs.stop();
      await dynamo.stop();
      await servers.stop();
    },
  };
}

function lambdaContext(name: string) {
  return { functionName: `switchyard-${name}`, awsRequestId: crypto.randomUUID() } as never;
}
