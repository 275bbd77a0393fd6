/** How a failed delivery is retried (SPEC §3). */
export interface RetryPolicy {
  /** Retries after the first attempt; the attempt after the last retry dead-letters. */
  maxRetries: number;
  /** Delay before the first retry; each later one is 4 times the one before. */
  baseSeconds: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 3, baseSeconds: 30 };

const GROWTH = 4;
const JITTER = 0.1;
/**
 * The longest backoff: 12 hours (as SPEC §3.1 caps a `Retry-After`). It keeps the whole
 * schedule of the most retries a deployment allows (20, from a base of up to 1 h: about 9 days)
 * inside the delivery queue's 14-day message retention, and each wait to at most two receives
 * of its message (see `MAX_HIDE_SECONDS`), well below the queue's redrive backstop.
 */
export const MAX_DELAY_SECONDS = 12 * 60 * 60;

/** SQS refuses a visibility that ends more than 12 hours after the message was received. */
export const SQS_MAX_VISIBILITY_SECONDS = 12 * 60 * 60;
/**
 * What may have passed since the receive when the deliverer hides a message: Lambda's
 * batching window (at most 5 minutes) and the invocation itself (at most 15 minutes).
 */
const RECEIVE_MARGIN_SECONDS = 5 * 60 + 15 * 60;
/** The longest the deliverer hides a message in one go; a longer wait is hidden again. */
export const MAX_HIDE_SECONDS = SQS_MAX_VISIBILITY_SECONDS - RECEIVE_MARGIN_SECONDS;

/**
 * How long to hide a message whose next attempt is due at `due`: the whole seconds until then
 * (rounded up, at least 1, as SQS counts), but never more than `MAX_HIDE_SECONDS`. The message
 * may then come back before `due`, and is hidden again for the rest.
 */
export function hideSecondsUntil(due: Date, now: Date): number {
  const seconds = Math.ceil((due.getTime() - now.getTime()) / 1000);
  return Math.min(MAX_HIDE_SECONDS, Math.max(1, seconds));
}

export type RetryDecision =
  | { action: "retry"; retry: number; delaySeconds: number }
  | { action: "dead-letter" };

/**
 * What to do after the `failures`-th failed attempt of the current round of retries:
 * retry n (1-based) waits `base × 4^(n-1)` seconds ±10 %; after the last retry has failed,
 * dead-letter. `random` is in [0, 1).
 */
export function decideAfterFailure(
  failures: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): RetryDecision {
  if (failures > policy.maxRetries) return { action: "dead-letter" };
  const nominal = policy.baseSeconds * GROWTH ** (failures - 1);
  const jittered = nominal * (1 - JITTER + 2 * JITTER * random());
  // SQS visibility is whole seconds: round up so the wait is never shorter than asked.
  return {
    action: "retry",
    retry: failures,
    delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.ceil(jittered))),
  };
}

/**
 * The longest a delivery's retries can wait in all, in seconds: every backoff at its longest
 * (+10 % jitter, each capped as `decideAfterFailure` caps it). Attempts' own time is not in it.
 */
export function longestRetrySchedule(policy: RetryPolicy): number {
  let total = 0;
  for (let retry = 1; retry <= policy.maxRetries; retry++) {
    const longest = Math.ceil(policy.baseSeconds * GROWTH ** (retry - 1) * (1 + JITTER));
    total += Math.min(MAX_DELAY_SECONDS, Math.max(1, longest));
  }
  return total;
}
