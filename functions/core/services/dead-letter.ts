import type { Clock } from "../clock.ts";
import type { DeliveryStatusReason } from "../delivery-status.ts";
import { deliveryView } from "../delivery-views.ts";
import { derivedId } from "../ids.ts";
import type { JsonObject } from "../json.ts";
import type { DeliverySummary } from "../model.ts";
import type { DeliveryStore, EventPublisher } from "../ports.ts";
import { platformEvent } from "./platform-notice.ts";
import { workflowNotice } from "./workflow-notice.ts";

export interface DeadLetterDeps {
  store: DeliveryStore;
  bus: EventPublisher;
  clock: Clock;
  /** The deployment's name in workflow platform events (Cobalt's `environment`). */
  environment?: string;
}

/**
 * Dead-letters a delivery: tells subscribers, runs `move` (the deliverer moves the message to
 * the dead-letter queue; a message already there has nothing to move), then marks the delivery
 * `dead_lettered` with its reason — in that order, so a failure part-way leaves the delivery
 * not yet `dead_lettered` and whoever holds its message does it all again. The notice has an
 * id derived from the delivery, so the fan-out makes no second delivery of it. A delivery of a
 * platform event never emits another. Both the deliverer and the dead-letter consumer end a
 * delivery through here.
 */
export async function deadLetter(
  deps: DeadLetterDeps,
  delivery: DeliverySummary,
  reason: DeliveryStatusReason,
  move?: (at: string) => Promise<void>,
): Promise<void> {
  const now = deps.clock.now().toISOString();
  if (!delivery.platform) {
    const ended = {
      ...delivery,
      status: "dead_lettered" as const,
      status_reason: reason,
      updated_at: now,
    };
    const data = deliveryView(ended);
    const eventTime = Date.parse(delivery.last_attempt?.at ?? delivery.created_at);
    // A workflow's run ends with it: `workflow.errored` beside `delivery.dead_lettered`.
    const runNotice = workflowNotice(ended, deps.clock, deps.environment);
    await deps.bus.publish([
      ...(runNotice ? [runNotice] : []),
      platformEvent(
        delivery.app_id,
        "delivery.dead_lettered",
        data as unknown as JsonObject,
        deps.clock,
        {
          linkedAccountId: delivery.linked_account_id,
          eventId: derivedId(
            "event",
            eventTime,
            `${delivery.id}:dead_lettered:${delivery.attempt_count}`,
          ),
        },
      ),
    ]);
  }
  await move?.(now);
  await deps.store.setDeliveryStatus(delivery.app_id, delivery.id, "dead_lettered", now, reason);
}
