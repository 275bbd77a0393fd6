/**
 * The metrics the functions publish (CloudWatch embedded metric format), named once for the
 * functions that publish them and the stack whose alarms watch them.
 */
export const METRICS = {
  namespace: "Switchyard",
  /** The one `service` dimension every function publishes under, so alarms match them all. */
  service: "switchyard",
  eventsAccepted: "EventsAccepted",
  deliverySucceeded: "DeliverySucceeded",
  deliveryRetried: "DeliveryRetried",
  deliveryDeadLettered: "DeliveryDeadLettered",
  deliveryDiscarded: "DeliveryDiscarded",
  /** A turn that sent nothing because its subscription was paused. */
  deliveryHeld: "DeliveryHeld",
  subscriptionPaused: "SubscriptionPaused",
  attemptDuration: "AttemptDuration",
} as const;
