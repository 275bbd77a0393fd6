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
/** SQS cannot hide a message for longer than 12 hours. */
export const MAX_DELAY_SECONDS = 12 * 60 * 60;

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
