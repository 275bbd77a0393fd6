import middy from "@middy/core";
import type { EventBridgeEvent, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { RoutedEvent } from "./core/model.ts";
import type { FanOutOutcome } from "./core/services/fan-out.ts";
import { observed, type Telemetry } from "./telemetry.ts";

/**
 * The consumer of a bus rule's queue (the fan-out's, the workflow runner's): each record is an
 * EventBridge event, and `handle` routes the batch's events together, answering each one's
 * outcome. A record that fails is reported in `batchItemFailures`, so SQS keeps it and hands
 * it back after the queue's visibility timeout; after the queue's `maxReceiveCount` it is
 * parked in the queue's DLQ, where the operator is alarmed. Nothing is dropped.
 */
export function busQueueConsumer(
  telemetry: Telemetry,
  handle: (events: RoutedEvent[]) => Promise<FanOutOutcome[]>,
) {
  const { logger } = telemetry;
  const failed = (record: SQSRecord, error: unknown) => {
    logger.error("routing failed; the event comes back from the queue", {
      event_id: detailOf(record.body)?.event_id,
      messageId: record.messageId,
      receiveCount: record.attributes?.ApproximateReceiveCount,
      error,
    });
    return { itemIdentifier: record.messageId };
  };
  return middy(async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const errors = new Map<SQSRecord, unknown>();
    const routable: { record: SQSRecord; routed: RoutedEvent }[] = [];
    for (const record of event.Records) {
      try {
        routable.push({ record, routed: routedEvent(record.body) });
      } catch (error) {
        errors.set(record, error);
      }
    }
    const outcomes = await handle(routable.map(({ routed }) => routed));
    routable.forEach(({ record, routed }, index) => {
      const outcome = outcomes[index];
      if (outcome && "queued" in outcome) {
        const { event_id, type } = routed;
        logger.debug("routed", { event_id, type, queued: outcome.queued });
      } else {
        errors.set(record, outcome?.error);
      }
    });
    return {
      batchItemFailures: event.Records.flatMap((record) =>
        errors.has(record) ? [failed(record, errors.get(record))] : [],
      ),
    };
  }).use(observed(telemetry));
}

/** The Switchyard event inside the EventBridge envelope that the rule put on the queue. */
function routedEvent(body: string): RoutedEvent {
  const routed = detailOf(body);
  if (routed?.v !== 1 || typeof routed.app_id !== "string") {
    throw new Error("the record is not a Switchyard event of version 1");
  }
  return routed as RoutedEvent;
}

function detailOf(body: string): Partial<RoutedEvent> | undefined {
  try {
    return (JSON.parse(body) as Partial<EventBridgeEvent<string, RoutedEvent>>).detail;
  } catch {
    return undefined;
  }
}
