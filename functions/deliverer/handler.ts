import middy from "@middy/core";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { parseDeliveryMessage } from "../adapters/delivery-message.ts";
import { lazyBusFor } from "../adapters/deployment/lazy-bus.ts";
import { lazyQueueFor } from "../adapters/deployment/lazy-queue.ts";
import { storeFor } from "../adapters/deployment/store.ts";
import { createHttpSender } from "../adapters/http-sender.ts";
import { kmsVaultFor } from "../adapters/secrets/kms-vault.ts";
import { config } from "../config.ts";
import { systemClock } from "../core/clock.ts";
import { type DeliverDeps, deliver, keepsMessage } from "../core/services/deliver.ts";
import {
  cachedHealth,
  cachedSubscriptions,
  cachedWorkflows,
} from "../core/services/subscription-cache.ts";
import { probeLeaseMs, slowAfterMs } from "../core/subscription-health.ts";
import { eachRecord, eachRecordInOrder } from "../sqs-batch.ts";
import { observed, type Telemetry, telemetryFor } from "../telemetry.ts";
import { USER_AGENT } from "../version.ts";
import { reportOutcome } from "./outcome-telemetry.ts";

/**
 * The SQS consumer that sends signed webhooks, for every lane (a record's source queue says
 * which it came by). Records are delivered in parallel — on the ordered lane, a message
 * group's one after another (`eachRecordInOrder`); each one
 * that should come back later (a backoff, or an error) is reported in `batchItemFailures`, so
 * SQS keeps it while the rest of the batch is deleted. Subscriptions and workflows are read
 * through caches that live as long as the handler (one per container) and keep each for at
 * most 4 s.
 */
export function createDelivererHandler(
  options: DeliverDeps,
  telemetry: Telemetry = telemetryFor("deliverer"),
) {
  const { logger } = telemetry;
  const deps: DeliverDeps = {
    ...options,
    subscriptions: options.subscriptions ?? cachedSubscriptions(options.store, options.clock),
    workflows: options.workflows ?? cachedWorkflows(options.store, options.clock),
    health: options.health ?? cachedHealth(options.store, options.clock),
  };
  return middy(async (event: SQSEvent) => {
    const batch = {
      ...deps,
      deliveries: await readTogether(deps, event, (error) =>
        logger.warn("could not read the batch's deliveries together; each is read alone", {
          error,
        }),
      ),
    };
    const handle = async (record: SQSRecord) => {
      // Parsed in the record's own turn: a malformed body fails that record alone, which
      // comes back until the queue's redrive backstop moves it to the DLQ.
      const message = parseDeliveryMessage(record.body);
      const outcome = await deliver(batch, message, {
        messageId: record.messageId,
        receiptHandle: record.receiptHandle,
        lane: deps.queue.laneOf(record.eventSourceARN),
      });
      reportOutcome(telemetry, message, outcome);
      return keepsMessage(outcome) ? ("keep" as const) : ("done" as const);
    };
    const onFailure = (record: SQSRecord, error: unknown) =>
      logger.error("delivery turn failed; the message comes back", {
        delivery_id: deliveryIdOf(record.body),
        messageId: record.messageId,
        error,
      });
    const [first] = event.Records;
    if (!first || deps.queue.laneOf(first.eventSourceARN) !== "ordered") {
      return eachRecord(event, handle, onFailure);
    }
    // The ordered lane's batch is all from its FIFO queue: a group's later deliveries wait
    // for its first to succeed or be dead-lettered (SPEC §3.1). Its mapping takes one message
    // a batch, so this is the rule for a larger batch, should one ever be configured.
    return eachRecordInOrder(event, handle, onFailure, async (later) => {
      await deps.queue
        .release(
          "ordered",
          later.map((record) => record.receiptHandle),
        )
        .catch((error: unknown) =>
          logger.warn(
            "could not show a group's later messages again; they wait out their visibility",
            {
              messageIds: later.map((record) => record.messageId),
              error,
            },
          ),
        );
    });
  }).use(observed(telemetry));
}

/**
 * The batch's deliveries, read in one BatchGetItem instead of two reads each; a delivery not
 * among them (a malformed body, a read that failed or was left unprocessed) is read alone in
 * its turn. Read at the batch's start, as each turn would read it: the turns start together.
 */
async function readTogether(deps: DeliverDeps, event: SQSEvent, onError: (error: unknown) => void) {
  // Two copies of one delivery's message may share a batch: BatchGetItem refuses a key twice.
  const keys = new Map<string, { appId: string; id: string }>();
  for (const record of event.Records) {
    const message = messageOf(record.body);
    if (message) keys.set(message.delivery_id, { appId: message.app_id, id: message.delivery_id });
  }
  const read =
    keys.size > 0
      ? await deps.store.getDeliveries([...keys.values()]).catch((error: unknown) => {
          onError(error);
          return null;
        })
      : null;
  return (appId: string, id: string) => {
    const found = read?.get(id);
    return found && found.app_id === appId
      ? Promise.resolve(found)
      : deps.store.getDelivery(appId, id);
  };
}

/** The delivery id of a record's body, when it has one: for the log of a failed turn. */
function deliveryIdOf(body: string): string | undefined {
  return messageOf(body)?.delivery_id;
}

function messageOf(body: string) {
  try {
    return parseDeliveryMessage(body);
  } catch {
    return undefined;
  }
}

const settings = config();
export const handler = createDelivererHandler({
  store: storeFor(settings),
  queue: lazyQueueFor(settings),
  bus: lazyBusFor(settings),
  sender: createHttpSender({
    timeoutMs: settings.deliveryTimeoutMs,
    allowPrivateUrls: settings.allowPrivateUrls,
  }),
  clock: systemClock,
  environment: settings.environment,
  vault: kmsVaultFor(settings),
  retry: settings.retry,
  disableAfterHours: settings.disableAfterHours,
  probeLeaseMs: probeLeaseMs(settings.deliveryTimeoutMs),
  slowAfterMs: slowAfterMs(settings.deliveryTimeoutMs),
  userAgent: USER_AGENT,
});
