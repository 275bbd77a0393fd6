import middy from "@middy/core";
import type { SQSEvent } from "aws-lambda";
import { parseDeliveryMessage } from "../adapters/delivery-message.ts";
import { lazyBusFor } from "../adapters/deployment/lazy-bus.ts";
import { storeFor } from "../adapters/deployment/store.ts";
import { config } from "../config.ts";
import { systemClock } from "../core/clock.ts";
import {
  type RecordDeadLetterDeps,
  recordDeadLetter,
} from "../core/services/record-dead-letter.ts";
import { eachRecord } from "../sqs-batch.ts";
import { count, observed, type Telemetry, telemetryFor } from "../telemetry.ts";

/**
 * The consumer of the delivery dead-letter queue: records each message's delivery as
 * `dead_lettered` (the table is the record of dead letters, which `GET /api/v2/dlq` lists),
 * then lets the message be deleted. Records are handled in parallel; one that fails — a store
 * or bus fault, or a body that is not a delivery message — is reported in `batchItemFailures`
 * and stays in the queue, where the operator's alarm on the queue sees it, without holding
 * back the rest of the batch.
 */
export function createDeadLetterHandler(
  deps: RecordDeadLetterDeps,
  telemetry: Telemetry = telemetryFor("dead-letters"),
) {
  const { logger } = telemetry;
  return middy((event: SQSEvent) =>
    eachRecord(
      event,
      async (record) => {
        const message = parseDeliveryMessage(record.body);
        const outcome = await recordDeadLetter(deps, message);
        const fields = { messageId: record.messageId, delivery_id: message.delivery_id, outcome };
        if (outcome === "recorded") count(telemetry, "DeliveryDeadLettered");
        // A message the queue's redrive moved here means the deliverer failed on it repeatedly.
        if (outcome === "recorded" && !message.dead_letter) {
          logger.warn("dead-lettered by the delivery queue's redrive", fields);
        } else {
          logger.debug("dead letter handled", fields);
        }
        return "done";
      },
      (record, error) =>
        logger.error("dead letter not recorded", {
          messageId: record.messageId,
          body: record.body.slice(0, 1024),
          error,
        }),
    ),
  ).use(observed(telemetry));
}

const settings = config();
export const handler = createDeadLetterHandler({
  store: storeFor(settings),
  bus: lazyBusFor(settings),
  clock: systemClock,
  environment: settings.environment,
  disableAfterHours: settings.disableAfterHours,
});
