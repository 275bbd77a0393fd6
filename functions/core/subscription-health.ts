import type { SubscriptionHealth } from "./model.ts";
import { longestRetrySchedule, type RetryPolicy } from "./retry-policy.ts";

/**
 * Pausing (SPEC §3): a subscription whose receiver fails attempt after attempt is paused, so
 * its deliveries stop taking the deliverer's time; one real attempt at a time then probes
 * whether it has recovered. These are the rules; the deliverer applies them.
 */
export const HEALTHY: SubscriptionHealth = {
  failures: 0,
  failing_since: null,
  paused_until: null,
  pauses: 0,
  probe_until: null,
  slow_until: null,
};

/** Failed attempts in a row that pause a subscription. */
export const FAILURES_TO_PAUSE = 5;
/** The longest pause: a receiver that is back is probed at least this often. */
export const MAX_PAUSE_SECONDS = 60 * 60;
/** Held deliveries give up after at most this long, whatever the retry policy. */
const MAX_HOLD_MS = 24 * 60 * 60 * 1000;
/** A delivery may be held this many times its retry schedule's length. */
const HOLD_FACTOR = 4;

export type PauseState =
  /** Deliveries go out as usual. */
  | { kind: "active" }
  /** Paused: deliveries wait until `until`, without a request. */
  | { kind: "paused"; until: Date }
  /** The pause is over and nobody probes yet: the first delivery to claim it probes. */
  | { kind: "probe_due" }
  /** Another delivery is probing: the rest wait until it is over. */
  | { kind: "probing"; until: Date };

export function pauseState(health: SubscriptionHealth, now: Date): PauseState {
  if (health.paused_until === null) return { kind: "active" };
  const pausedUntil = new Date(health.paused_until);
  if (pausedUntil > now) return { kind: "paused", until: pausedUntil };
  if (health.probe_until !== null && new Date(health.probe_until) > now) {
    return { kind: "probing", until: new Date(health.probe_until) };
  }
  return { kind: "probe_due" };
}

/**
 * How long the `pauses`-th pause in a row lasts (1-based): the retry policy's first backoff
 * (at least 1 s), doubled with each probe that fails, at most an hour.
 */
export function pauseSeconds(pauses: number, retry: RetryPolicy): number {
  const first = Math.max(1, retry.baseSeconds);
  return Math.min(MAX_PAUSE_SECONDS, first * 2 ** Math.max(0, pauses - 1));
}

/**
 * The latest a delivery created at `createdAt` may still be held: four times the longest its
 * retry schedule can take (about 46 minutes with the defaults), at most a day. Pausing may
 * stretch a delivery's schedule, never make it endless: past this, a held delivery is
 * dead-lettered instead (and can be redriven once its receiver is back).
 */
export function holdLimit(createdAt: Date, retry: RetryPolicy): Date {
  const ms = Math.min(MAX_HOLD_MS, HOLD_FACTOR * longestRetrySchedule(retry) * 1000);
  return new Date(createdAt.getTime() + ms);
}

/**
 * The most times one delivery's message can come back while its subscription is paused: it
 * is hidden until each pause ends and, while that pause's probe runs, once more. The delivery
 * queue's redrive backstop sits above this, so holding never trips it.
 */
export function maxHoldReceives(retry: RetryPolicy): number {
  const limit = holdLimit(new Date(0), retry).getTime() / 1000;
  let pauses = 0;
  for (let waited = 0; waited < limit; waited += pauseSeconds(pauses, retry)) pauses++;
  return 2 * pauses + 2;
}

/**
 * How long a probe holds its lease: its attempt's timeout and 5 s more for recording it. A
 * probe that died (its deliverer crashed) frees the probe for another delivery after this.
 */
export function probeLeaseMs(deliveryTimeoutMs: number): number {
  return deliveryTimeoutMs + 5_000;
}

/**
 * The deliverer's lanes (SPEC §3): every delivery starts in the main lane; one whose
 * subscription is failing, paused or slow is forwarded to the slow lane, whose own small
 * concurrency cap is all that such receivers can ever hold, so they never take the main lane's.
 * An ordered subscription's deliveries take the ordered lane (its FIFO queue) and stay there:
 * one at a time per subscription, so a failing one holds nothing but its own.
 */
export type Lane = "main" | "slow" | "ordered";

/** How long a subscription marked slow keeps its deliveries in the slow lane. */
export const SLOW_MARK_MS = 60_000;

/**
 * A request still unanswered after this long marks its subscription slow: a second, or half
 * the attempt's timeout when that is shorter. Healthy receivers answer in milliseconds.
 */
export function slowAfterMs(deliveryTimeoutMs: number): number {
  return Math.min(1_000, deliveryTimeoutMs / 2);
}

/**
 * Whether the subscription's deliveries take the slow lane: it failed its last attempt (and
 * has not succeeded since), it is paused, or it was marked slow within the last minute.
 */
export function takesSlowLane(health: SubscriptionHealth, now: Date): boolean {
  return (
    health.failures > 0 ||
    health.paused_until !== null ||
    (health.slow_until !== null && new Date(health.slow_until) > now)
  );
}
