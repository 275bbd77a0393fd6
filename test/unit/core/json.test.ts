import { describe, expect, it } from "vitest";
import { nestsDeeperThan } from "../../../functions/core/json.ts";
import { deepArrays, deepObjects } from "../../support/deep-json.ts";

describe("nestsDeeperThan", () => {
  it("counts a scalar as 0 levels, {} and [] as 1, {a:{}} as 2", () => {
    expect(nestsDeeperThan("x", 0)).toBe(false);
    expect(nestsDeeperThan({}, 0)).toBe(true);
    expect(nestsDeeperThan([], 1)).toBe(false);
    expect(nestsDeeperThan({ a: {} }, 1)).toBe(true);
    expect(nestsDeeperThan({ a: {} }, 2)).toBe(false);
  });

  it("finds the one deep branch among shallow siblings, in objects and arrays", () => {
    const value = { a: 1, b: [{ c: [] }], d: { e: JSON.parse(deepObjects(3)) } };
    expect(nestsDeeperThan(value, 5)).toBe(false);
    expect(nestsDeeperThan(value, 4)).toBe(true);
  });

  it("answers for a million levels without overflowing the stack", () => {
    expect(nestsDeeperThan(JSON.parse(deepArrays(1_000_000)), 32)).toBe(true);
    expect(nestsDeeperThan(JSON.parse(deepObjects(32)), 32)).toBe(false);
  });
});
