import middy from "@middy/core";
import type { EventBridgeEvent, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { queueFor } from "../adapters/deployment/queue.ts";
import { storeFor } from "../adapters/deployment/store.ts";
import { config } from "../config.ts";
import { systemClock } from "../core/clock.ts";
import type { RoutedEvent } from "../core/model.ts";
import { type FanOutDeps, fanOutAll } from "../core/services/fan-out.ts";
import { cachedSubscriptionLists } from "../core/services/subscription-cache.ts";
import { observed, type Telemetry, telemetryFor } from "../telemetry.ts";

/**
 * The consumer of the fan-out rule's queue: each record is an EventBridge event, routed to its
 * subscriptions, and the batch's delivery messages are queued together (see `fanOutAll`). A
 * record that fails is reported in `batchItemFailures`, so SQS keeps it and hands it back
 * after the queue's visibility timeout; after the queue's `maxReceiveCount` it is parked in the
 * fan-out DLQ, where the operator is alarmed. Nothing is dropped.
 */
export function createFanOutHandler(
  deps: FanOutDeps,
  telemetry: Telemetry = telemetryFor("fanout"),
) {
  const { logger } = telemetry;
  const routing: FanOutDeps = {
    ...deps,
    subscriptions: deps.subscriptions ?? cachedSubscriptionLists(deps.store, deps.clock),
  };
  const failed = (record: SQSRecord, error: unknown) => {
    logger.error("fan-out failed; the event comes back from the queue", {
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
    const outcomes = await fanOutAll(
      routing,
      routable.map(({ routed }) => routed),
    );
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

const settings = config();
export const handler = createFanOutHandler({
  store: storeFor(settings),
  queue: queueFor(settings),
  clock: systemClock,
});
