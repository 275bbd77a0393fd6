import type { Attempt, Delivery, DeliverySummary } from "./model.ts";

/** A delivery as lists show it (SPEC §2.5). */
export function deliveryView(delivery: DeliverySummary) {
  return {
    id: delivery.id,
    event_id: delivery.event_id,
    event_type: delivery.event_type,
    linked_account_id: delivery.linked_account_id,
    target: delivery.target,
    url: delivery.url,
    status: delivery.status,
    status_reason: delivery.status_reason ?? null,
    attempt_count: delivery.attempt_count,
    created_at: delivery.created_at,
    updated_at: delivery.updated_at,
    last_attempt: delivery.last_attempt,
  };
}

/** One delivery in full: the request body it sends and every attempt. */
export function deliveryDetailView(delivery: Delivery, attempts: Attempt[]) {
  return {
    ...deliveryView(delivery),
    method: delivery.method,
    request_body: delivery.body,
    attempts,
  };
}
