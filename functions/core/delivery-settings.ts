import { longestRetrySchedule } from "./retry-policy.ts";
import { holdLimit, maxHoldReceives } from "./subscription-health.ts";

/**
 * The settings a deployment chooses for delivery, and the queue and function settings that
 * follow from them. The CDK stack and the local runtime both derive their queues from here.
 */
export interface DeliverySettings {
  /** Retries after the first attempt (SPEC §3: 3). */
  maxRetries: number;
  /** Delay before the first retry; each next one is 4 times longer. */
  retryBaseSeconds: number;
  /** How long a receiver has to answer one attempt. */
  deliveryTimeoutSeconds: number;
}

export const DEFAULT_DELIVERY_SETTINGS: DeliverySettings = {
  maxRetries: 3,
  retryBaseSeconds: 30,
  deliveryTimeoutSeconds: 10,
};

/** The deliverer sends its batch in parallel; the margin covers the store and queue calls. */
const DELIVERER_MARGIN_SECONDS = 20;

const DEAD_LETTER_CONSUMER_TIMEOUT_SECONDS = 30;

/**
 * The event source mappings' concurrency caps (MaximumConcurrency): the stack's defaults for
 * the fan-out and the deliverer's two lanes (settings `fanOutConcurrency`,
 * `deliveryConcurrency`, `slowDeliveryConcurrency`), the dead-letter recorder's fixed cap, and
 * the local runtime's pollers' caps.
 */
export const DEFAULT_CONCURRENCY = {
  fanOut: 10,
  delivery: 50,
  slowDelivery: 10,
  orderedDelivery: 20,
  deadLetters: 2,
} as const;

/** At most this many messages reach one deliverer invocation. */
export const DELIVERY_BATCH_SIZE = 10;

/**
 * The ordered lane's messages per invocation: one. A FIFO receive hands out a group's later
 * messages with its first, and while the first waits out a backoff they would be received and
 * given back again each time it comes round, their receive counts climbing toward the queue's
 * redrive backstop without an attempt of their own. One at a time, only the group's first is
 * ever received.
 */
export const ORDERED_DELIVERY_BATCH_SIZE = 1;

export interface DeliveryQueueSettings {
  delivererTimeoutSeconds: number;
  /** AWS's advice for an SQS-triggered function: six times its timeout. */
  visibilityTimeoutSeconds: number;
  /**
   * The queue's own redrive to the DLQ, a backstop for messages that crash the deliverer. The
   * deliverer dead-letters after maxRetries + 1 attempts itself; receives also rise when the
   * function is throttled or crashes, when a paused subscription's deliveries are held, and
   * when a rate-limited one's wait in the queue for their slots (one hold for a far slot, one
   * after missing slots on a busy machine, per attempt), so the backstop sits above all that.
   */
  backstopMaxReceiveCount: number;
  /** How long a dead letter is kept: SQS's maximum, 14 days. */
  deadLetterRetentionSeconds: number;
  /** The timeout of the delivery DLQ's consumer, which records each message's delivery. */
  deadLetterConsumerTimeoutSeconds: number;
  /** Six times that consumer's timeout. */
  deadLetterVisibilityTimeoutSeconds: number;
  /**
   * The age of the delivery queue's oldest message that means deliveries are stuck, not
   * waiting out their backoff: every retry's longest delay and every attempt's timeout, plus
   * five minutes.
   */
  oldestMessageAlarmSeconds: number;
  /**
   * The same for the slow lane, whose messages may also be held while their subscription is
   * paused: the longest a delivery may be held, then its whole retry schedule (a pause may end
   * just before the hold limit), every attempt's timeout and five minutes.
   */
  slowLaneOldestMessageAlarmSeconds: number;
}

/** Receives a rate limit's holds may add to an attempt (SPEC §3.1): a far slot, late wakes. */
const RATE_LIMIT_HOLDS_PER_ATTEMPT = 2;

export function deliveryQueueSettings(settings: DeliverySettings): DeliveryQueueSettings {
  const delivererTimeoutSeconds =
    Math.ceil(settings.deliveryTimeoutSeconds) + DELIVERER_MARGIN_SECONDS;
  const retry = { maxRetries: settings.maxRetries, baseSeconds: settings.retryBaseSeconds };
  const everyAttemptSeconds = (settings.maxRetries + 1) * delivererTimeoutSeconds;
  return {
    delivererTimeoutSeconds,
    visibilityTimeoutSeconds: 6 * delivererTimeoutSeconds,
    backstopMaxReceiveCount:
      (settings.maxRetries + 1) * (3 + RATE_LIMIT_HOLDS_PER_ATTEMPT) + maxHoldReceives(retry),
    deadLetterRetentionSeconds: 14 * 24 * 60 * 60,
    deadLetterConsumerTimeoutSeconds: DEAD_LETTER_CONSUMER_TIMEOUT_SECONDS,
    deadLetterVisibilityTimeoutSeconds: 6 * DEAD_LETTER_CONSUMER_TIMEOUT_SECONDS,
    oldestMessageAlarmSeconds: Math.ceil(longestRetrySchedule(retry) + everyAttemptSeconds + 300),
    slowLaneOldestMessageAlarmSeconds: Math.ceil(
      holdLimit(new Date(0), retry).getTime() / 1000 +
        longestRetrySchedule(retry) +
        everyAttemptSeconds +
        300,
    ),
  };
}
