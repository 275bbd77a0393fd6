import { describe, expect, it } from "vitest";
import { retryAfterSeconds } from "../../../functions/core/retry-after.ts";

const NOW = new Date("2026-12-02T10:00:00.000Z");

describe("retryAfterSeconds (SPEC §3.1)", () => {
  it("reads seconds and HTTP dates on a 429 or a 503", () => {
    expect(retryAfterSeconds(429, "120", NOW)).toBe(120);
    expect(retryAfterSeconds(503, " 3 ", NOW)).toBe(3);
    expect(retryAfterSeconds(503, "Wed, 02 Dec 2026 10:01:30 GMT", NOW)).toBe(90);
    expect(retryAfterSeconds(429, "Wed, 02 Dec 2026 10:00:00 GMT", NOW)).toBe(0);
    expect(retryAfterSeconds(429, "Wed, 02 Dec 2026 09:00:00 GMT", NOW)).toBe(0);
    expect(retryAfterSeconds(503, "Wednesday, 02-Dec-26 10:00:10 GMT", NOW)).toBe(10);
    expect(retryAfterSeconds(503, "Wed Dec  2 10:00:20 2026", NOW)).toBe(20);
  });

  it("caps a wait at 12 hours", () => {
    expect(retryAfterSeconds(429, "86400", NOW)).toBe(12 * 3600);
    expect(retryAfterSeconds(503, "Fri, 04 Dec 2026 10:00:00 GMT", NOW)).toBe(12 * 3600);
    expect(retryAfterSeconds(429, "1".repeat(30), NOW)).toBe(12 * 3600);
  });

  it("ignores other answers, no header, and values of neither form", () => {
    expect(retryAfterSeconds(500, "120", NOW)).toBeUndefined();
    expect(retryAfterSeconds(200, "120", NOW)).toBeUndefined();
    expect(retryAfterSeconds(null, "120", NOW)).toBeUndefined();
    expect(retryAfterSeconds(429, undefined, NOW)).toBeUndefined();
    // Date.parse alone would take most of these ("May 3" is a date in 2001).
    for (const value of [
      "",
      "soon",
      "-5",
      "1.5",
      "12/02/2026",
      "May 3",
      "a 2",
      "2026-12-02T10:05:00Z",
    ]) {
      expect([value, retryAfterSeconds(429, value, NOW)]).toEqual([value, undefined]);
    }
  });
});
