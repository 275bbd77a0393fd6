/**
 * SPEC §2.5: `failed` will be retried; `dead_lettered` and `discarded` have ended without a
 * success (a discarded delivery was given up without a dead letter, e.g. its subscription was
 * deleted).
 */
export const DELIVERY_STATUSES = [
  "pending",
  "succeeded",
  "failed",
  "dead_lettered",
  "discarded",
] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * Why a delivery ended without a success (its `status_reason`):
 * - `retries_exhausted`: its last retry failed;
 * - `subscription_disabled`: its subscription was disabled when its turn came (no request);
 * - `subscription_deleted`: its subscription was gone when its turn came (no request);
 * - `receive_limit`: the delivery queue's own redrive moved its message to the dead-letter
 *   queue, after the deliverer had failed on it again and again;
 * - `subscription_paused`: its subscription stayed paused (its receiver kept failing) longer
 *   than a delivery may be held;
 * - `workflow_disabled`, `workflow_deleted`: as for a subscription, for a workflow's delivery;
 * - `render_failed`: a workflow's template read a path the event lacks: nothing to send;
 * - `purged`: taken out of the dead-letter queue without being sent (`POST /api/v2/dlq/purge`).
 */
export const DELIVERY_STATUS_REASONS = [
  "retries_exhausted",
  "subscription_disabled",
  "subscription_deleted",
  "receive_limit",
  "subscription_paused",
  "workflow_disabled",
  "workflow_deleted",
  "render_failed",
  "purged",
] as const;
export type DeliveryStatusReason = (typeof DELIVERY_STATUS_REASONS)[number];

/** Whether a delivery has ended: nothing will send it again unless it is retried by hand. */
export function hasEnded(status: DeliveryStatus): boolean {
  return status === "succeeded" || status === "dead_lettered" || status === "discarded";
}
