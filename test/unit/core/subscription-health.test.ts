import { describe, expect, it } from "vitest";
import {
  HEALTHY,
  holdLimit,
  MAX_PAUSE_SECONDS,
  maxHoldReceives,
  pauseSeconds,
  pauseState,
  slowAfterMs,
  takesSlowLane,
} from "../../../functions/core/subscription-health.ts";

const NOW = new Date("2026-11-23T02:00:00.000Z");
const paused = (until: string, probe: string | null = null) => ({
  ...HEALTHY,
  failures: 5,
  pauses: 1,
  paused_until: until,
  probe_until: probe,
});

describe("pauseState", () => {
  it("is active without a pause, paused until it ends, then due for a probe", () => {
    expect(pauseState(HEALTHY, NOW)).toEqual({ kind: "active" });
    expect(pauseState(paused("2026-11-23T02:00:00.001Z"), NOW)).toEqual({
      kind: "paused",
      until: new Date("2026-11-23T02:00:00.001Z"),
    });
    expect(pauseState(paused("2026-11-23T02:00:00.000Z"), NOW)).toEqual({ kind: "probe_due" });
  });

  it("is probing while a probe's lease runs, and due again once it has run out", () => {
    const probing = paused("2026-11-23T01:59:00.000Z", "2026-11-23T02:00:10.000Z");
    expect(pauseState(probing, NOW)).toEqual({
      kind: "probing",
      until: new Date("2026-11-23T02:00:10.000Z"),
    });
    const lapsed = paused("2026-11-23T01:59:00.000Z", "2026-11-23T02:00:00.000Z");
    expect(pauseState(lapsed, NOW)).toEqual({ kind: "probe_due" });
  });
});

describe("pauseSeconds", () => {
  it("starts at the first backoff and doubles with each failed probe, up to an hour", () => {
    const retry = { maxRetries: 3, baseSeconds: 30 };
    expect([1, 2, 3, 4].map((pauses) => pauseSeconds(pauses, retry))).toEqual([30, 60, 120, 240]);
    expect(pauseSeconds(20, retry)).toBe(MAX_PAUSE_SECONDS);
  });

  it("pauses at least a second, whatever the backoff", () => {
    expect(pauseSeconds(1, { maxRetries: 3, baseSeconds: 0.2 })).toBe(1);
  });
});

describe("holdLimit", () => {
  it("is four times the longest retry schedule after the delivery was made", () => {
    // 33 + 132 + 528 s at their longest.
    expect(holdLimit(NOW, { maxRetries: 3, baseSeconds: 30 })).toEqual(
      new Date(NOW.getTime() + 4 * 693 * 1000),
    );
  });

  it("is at most a day", () => {
    expect(holdLimit(NOW, { maxRetries: 20, baseSeconds: 3600 })).toEqual(
      new Date(NOW.getTime() + 24 * 3600 * 1000),
    );
  });
});

describe("maxHoldReceives", () => {
  it("counts two receives for every pause that fits in the hold limit, and two more", () => {
    // 2,772 s hold: pauses of 30, 60, 120, 240, 480, 960 and 1,920 s start within it.
    expect(maxHoldReceives({ maxRetries: 3, baseSeconds: 30 })).toBe(2 * 7 + 2);
  });
});

describe("takesSlowLane", () => {
  it("sends a subscription by the slow lane after a failure, while paused, and while marked slow", () => {
    expect(takesSlowLane(HEALTHY, NOW)).toBe(false);
    expect(takesSlowLane({ ...HEALTHY, failures: 1 }, NOW)).toBe(true);
    expect(takesSlowLane(paused("2026-11-23T01:00:00.000Z"), NOW)).toBe(true);
    expect(takesSlowLane({ ...HEALTHY, slow_until: "2026-11-23T02:00:00.001Z" }, NOW)).toBe(true);
    expect(takesSlowLane({ ...HEALTHY, slow_until: "2026-11-23T02:00:00.000Z" }, NOW)).toBe(false);
  });
});

describe("slowAfterMs", () => {
  it("is a second, or half the attempt's timeout when that is shorter", () => {
    expect(slowAfterMs(10_000)).toBe(1_000);
    expect(slowAfterMs(2_000)).toBe(1_000);
    expect(slowAfterMs(1_000)).toBe(500);
  });
});
