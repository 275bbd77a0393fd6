/**
 * The metrics the functions publish (CloudWatch embedded metric format), named once for the
 * functions that publish them and the stack whose alarms watch them.
 */
export const METRICS = {
  namespace: "Switchyard",
  /** The one `service` dimension every function publishes under, so alarms match them all. */
  service: "switchyard",
  eventsAccepted: "EventsAccepted",
  /** Items of a batch trigger that answered 5xx (their request answered 200). */
  batchItemsFailed: "BatchItemsFailed",
  deliverySucceeded: "DeliverySucceeded",
  deliveryRetried: "DeliveryRetried",
  deliveryDeadLettered: "DeliveryDeadLettered",
  deliveryDiscarded: "DeliveryDiscarded",
  /** A turn that sent nothing because its subscription was paused. */
  deliveryHeld: "DeliveryHeld",
  /** A turn that sent nothing but forwarded its delivery to the slow lane. */
  deliveryDiverted: "DeliveryDiverted",
  subscriptionPaused: "SubscriptionPaused",
  /** Switchyard disabled a subscription: its receiver answered 410, or failed for too long. */
  subscriptionDisabled: "SubscriptionDisabled",
  /** A request still unanswered after a second marked its subscription slow. */
  subscriptionSlow: "SubscriptionSlow",
  attemptDuration: "AttemptDuration",
} as const;
