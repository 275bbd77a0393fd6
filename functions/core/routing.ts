import { type EventPattern, matchesPattern } from "./event-pattern.ts";
import { deliveryId } from "./ids.ts";
import type { JsonObject } from "./json.ts";
import type { Delivery, RoutedEvent, Subscription } from "./model.ts";
import { ALL_EVENTS } from "./platform-events.ts";

/**
 * Whether a subscription receives an event (SPEC §2.3): enabled, subscribed to its type (or
 * `*`), for its linked account when it names accounts, and passing its content filter.
 */
export function subscriptionReceives(
  subscription: Subscription,
  event: RoutedEvent,
  payload: JsonObject,
): boolean {
  if (!subscription.enabled) return false;
  if (!subscription.events.includes(event.type) && !subscription.events.includes(ALL_EVENTS)) {
    return false;
  }
  const accounts = subscription.linked_account_ids;
  if (
    accounts &&
    (event.linked_account_id === null || !accounts.includes(event.linked_account_id))
  ) {
    return false;
  }
  return (
    subscription.filter === null || matchesPattern(subscription.filter as EventPattern, payload)
  );
}

/** The body a subscription receives, after Standard Webhooks (SPEC §3). */
export function webhookBody(delivery: string, event: RoutedEvent, payload: JsonObject): string {
  return JSON.stringify({
    id: delivery,
    type: event.type,
    timestamp: event.timestamp,
    event_id: event.event_id,
    linked_account_id: event.linked_account_id,
    data: payload,
  });
}

/** The new delivery of one event to one subscription. */
export function webhookDelivery(
  subscription: Subscription,
  event: RoutedEvent,
  payload: JsonObject,
  now: Date,
  replay = 0,
): Delivery {
  const id = deliveryId(event.event_id, { type: "webhook", id: subscription.id }, replay);
  return {
    id,
    app_id: event.app_id,
    event_id: event.event_id,
    event_type: event.type,
    platform: event.platform,
    linked_account_id: event.linked_account_id,
    target: { type: "webhook", id: subscription.id },
    url: subscription.url,
    method: "POST",
    body: webhookBody(id, event, payload),
    status: "pending",
    attempt_count: 0,
    round_started_at_attempt: 0,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    last_attempt: null,
    ...(subscription.ordered === true && { ordered: true }),
  };
}
