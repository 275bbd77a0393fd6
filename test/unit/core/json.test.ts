import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  isJsonObject,
  jsonType,
  nestsDeeperThan,
} from "../../../functions/core/json.ts";
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

describe("jsonType", () => {
  it.each([
    ["text", "string"],
    [0, "number"],
    [false, "boolean"],
    [null, "null"],
    [[], "array"],
    [{}, "object"],
  ])("names the JSON type of %j: %s", (value, type) => {
    expect(jsonType(value)).toBe(type);
  });
});

describe("isJsonObject", () => {
  it("is true for an object only, not for null or an array", () => {
    expect(isJsonObject({ a: 1 })).toBe(true);
    expect(isJsonObject(null)).toBe(false);
    expect(isJsonObject([1])).toBe(false);
    expect(isJsonObject("{}")).toBe(false);
  });
});

describe("canonicalJson", () => {
  it("sorts keys at every level, so the same value in any key order gives the same text", () => {
    const one = { b: 1, a: { d: [{ z: 1, y: 2 }], c: null }, e: "x" };
    const other = { e: "x", a: { c: null, d: [{ y: 2, z: 1 }] }, b: 1 };

    expect(canonicalJson(one)).toBe('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1,"e":"x"}');
    expect(canonicalJson(other)).toBe(canonicalJson(one));
  });

  it("sorts many keys given in reverse order, by code unit", () => {
    const keys = ["k", "j", "i", "h", "g", "f", "e", "d", "c", "b", "a", "_", "B", "A", "1"];
    const reversed = Object.fromEntries(keys.map((key) => [key, 0]));

    expect(canonicalJson(reversed)).toBe(
      '{"1":0,"A":0,"B":0,"_":0,"a":0,"b":0,"c":0,"d":0,"e":0,"f":0,"g":0,"h":0,"i":0,"j":0,"k":0}',
    );
  });

  it("keeps the order of array elements and tells values apart", () => {
    expect(canonicalJson([2, 1])).toBe("[2,1]");
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: "1" }));
  });
});
