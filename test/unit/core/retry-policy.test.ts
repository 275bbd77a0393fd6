import { describe, expect, it } from "vitest";
import {
  DEFAULT_RETRY_POLICY,
  decideAfterFailure,
  hideSecondsUntil,
  MAX_DELAY_SECONDS,
  MAX_HIDE_SECONDS,
  type RetryPolicy,
  SQS_MAX_VISIBILITY_SECONDS,
} from "../../../functions/core/retry-policy.ts";

const middle = () => 0.5;
const lowest = () => 0;
const highest = () => 0.999;

/** The delay of a retry decision; fails the test when the decision is to dead-letter. */
function delayAfter(failures: number, policy: RetryPolicy, random: () => number): number {
  const decision = decideAfterFailure(failures, policy, random);
  if (decision.action !== "retry") throw new Error(`failure ${failures} dead-lettered`);
  return decision.delaySeconds;
}

describe("decideAfterFailure", () => {
  it("defaults to 3 retries from a 30 s base", () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({ maxRetries: 3, baseSeconds: 30 });
  });

  it("waits 30 s, 2 min and 8 min before retries 1–3 without jitter", () => {
    expect(decideAfterFailure(1, DEFAULT_RETRY_POLICY, middle)).toEqual({
      action: "retry",
      retry: 1,
      delaySeconds: 30,
    });
    expect(decideAfterFailure(2, DEFAULT_RETRY_POLICY, middle)).toEqual({
      action: "retry",
      retry: 2,
      delaySeconds: 120,
    });
    expect(decideAfterFailure(3, DEFAULT_RETRY_POLICY, middle)).toEqual({
      action: "retry",
      retry: 3,
      delaySeconds: 480,
    });
  });

  it("jitters at most 10 % below the nominal delay", () => {
    expect(delayAfter(1, DEFAULT_RETRY_POLICY, lowest)).toBe(27);
    expect(delayAfter(2, DEFAULT_RETRY_POLICY, lowest)).toBe(108);
    expect(delayAfter(3, DEFAULT_RETRY_POLICY, lowest)).toBe(432);
  });

  it("jitters at most 10 % above the nominal delay, rounded up", () => {
    expect(delayAfter(1, DEFAULT_RETRY_POLICY, highest)).toBe(33);
    expect(delayAfter(2, DEFAULT_RETRY_POLICY, highest)).toBe(132);
    expect(delayAfter(3, DEFAULT_RETRY_POLICY, highest)).toBe(528);
  });

  it("keeps every jittered delay within ±10 % of the nominal one", () => {
    for (let step = 0; step < 100; step++) {
      const random = () => step / 100;
      for (const [failures, nominal] of [
        [1, 30],
        [2, 120],
        [3, 480],
      ] as const) {
        const delay = delayAfter(failures, DEFAULT_RETRY_POLICY, random);
        expect(delay).toBeGreaterThanOrEqual(nominal * 0.9);
        expect(delay).toBeLessThanOrEqual(Math.ceil(nominal * 1.1));
      }
    }
  });

  it("dead-letters after the 4th failure: the first attempt and 3 retries", () => {
    expect(decideAfterFailure(4, DEFAULT_RETRY_POLICY, middle)).toEqual({
      action: "dead-letter",
    });
    expect(decideAfterFailure(5, DEFAULT_RETRY_POLICY, middle)).toEqual({
      action: "dead-letter",
    });
  });

  it("dead-letters after the first failure when maxRetries is 0", () => {
    expect(decideAfterFailure(1, { maxRetries: 0, baseSeconds: 30 }, middle)).toEqual({
      action: "dead-letter",
    });
  });

  it("follows a custom maxRetries", () => {
    const policy = { maxRetries: 5, baseSeconds: 1 };
    expect(delayAfter(5, policy, middle)).toBe(256);
    expect(decideAfterFailure(6, policy, middle).action).toBe("dead-letter");
  });

  it("rounds a fractional base up to whole seconds, never below 1", () => {
    const policy = { maxRetries: 3, baseSeconds: 0.2 };
    expect(delayAfter(1, policy, lowest)).toBe(1);
    expect(delayAfter(1, policy, middle)).toBe(1);
    expect(delayAfter(2, policy, middle)).toBe(1);
    expect(delayAfter(3, policy, middle)).toBe(4);
    for (const failures of [1, 2, 3]) {
      const delay = delayAfter(failures, policy, highest);
      expect(Number.isInteger(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(1);
    }
  });

  it("grows each delay 4 times over the one before", () => {
    const policy = { maxRetries: 4, baseSeconds: 100 };
    const delays = [1, 2, 3, 4].map((failures) => delayAfter(failures, policy, middle));
    expect(delays).toEqual([100, 400, 1600, 6400]);
  });

  it("caps a backoff at 12 hours", () => {
    expect(MAX_DELAY_SECONDS).toBe(43_200);
    expect(delayAfter(3, { maxRetries: 3, baseSeconds: 10_000 }, highest)).toBe(MAX_DELAY_SECONDS);
  });

  it("uses Math.random when no source of randomness is given", () => {
    const delay = delayAfter(1, DEFAULT_RETRY_POLICY, Math.random);
    expect(delay).toBeGreaterThanOrEqual(27);
    expect(delay).toBeLessThanOrEqual(33);
    const defaulted = decideAfterFailure(1, DEFAULT_RETRY_POLICY);
    expect(defaulted.action).toBe("retry");
  });
});

describe("hideSecondsUntil", () => {
  const now = new Date("2026-11-23T01:28:00.000Z");
  const inSeconds = (seconds: number) => new Date(now.getTime() + seconds * 1000);

  it("hides a message until its next attempt is due, in whole seconds rounded up", () => {
    expect(hideSecondsUntil(inSeconds(30), now)).toBe(30);
    expect(hideSecondsUntil(inSeconds(29.2), now)).toBe(30);
  });

  it("hides for at least a second, also when the attempt is due already", () => {
    expect(hideSecondsUntil(inSeconds(0.2), now)).toBe(1);
    expect(hideSecondsUntil(inSeconds(-5), now)).toBe(1);
  });

  it("never asks for more than 12 h less Lambda's batching window and longest invocation", () => {
    expect(SQS_MAX_VISIBILITY_SECONDS).toBe(43_200);
    // Received up to 5 min before the invocation, which lasts up to 15 min.
    expect(MAX_HIDE_SECONDS).toBe(43_200 - 300 - 900);
    expect(hideSecondsUntil(inSeconds(MAX_HIDE_SECONDS), now)).toBe(MAX_HIDE_SECONDS);
    expect(hideSecondsUntil(inSeconds(MAX_DELAY_SECONDS), now)).toBe(MAX_HIDE_SECONDS);
    expect(hideSecondsUntil(inSeconds(30 * 86_400), now)).toBe(MAX_HIDE_SECONDS);
  });

  it("keeps the longest schedule a deployment allows inside the queue's 14-day retention", () => {
    const policy = { maxRetries: 20, baseSeconds: 3600 };
    let total = 0;
    for (let failures = 1; failures <= policy.maxRetries; failures++) {
      total += delayAfter(failures, policy, highest);
    }
    expect(total).toBeLessThan(14 * 86_400);
  });
});
