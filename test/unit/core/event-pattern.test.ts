import { describe, expect, it } from "vitest";
import { BadRequest } from "../../../functions/core/errors.ts";
import { matchesPattern, parseEventPattern } from "../../../functions/core/event-pattern.ts";
import fixture from "../../fixtures/event-patterns.json" with { type: "json" };

/** The error parseEventPattern throws for `pattern`. */
function parseError(pattern: unknown): unknown {
  try {
    parseEventPattern(pattern);
  } catch (error) {
    return error;
  }
  throw new Error("the pattern was accepted");
}

function matches(pattern: unknown, payload: unknown): boolean {
  return matchesPattern(parseEventPattern(pattern), payload);
}

describe("conformance cases (test/fixtures/event-patterns.json)", () => {
  // Titled with plain strings: "$name" in an it.each title would print the name in quotes.
  const cases = fixture.cases.map(
    (c) => [`${c.name}: ${c.match ? "matches" : "does not match"}`, c] as const,
  );

  it.each(cases)("%s", (_, { pattern, payload, match }) => {
    const parsed = parseEventPattern(pattern);
    expect(parsed).toEqual(pattern);
    expect(matchesPattern(parsed, payload)).toBe(match);
  });
});

describe("matchesPattern beyond the fixture", () => {
  it("matches a nested pattern against each object of a payload array on its own", () => {
    const pattern = { items: { sku: ["a"], qty: [2] } };
    expect(
      matches(pattern, {
        items: [
          { sku: "b", qty: 2 },
          { sku: "a", qty: 2 },
        ],
      }),
    ).toBe(true);
    expect(
      matches(pattern, {
        items: [
          { sku: "a", qty: 1 },
          { sku: "b", qty: 2 },
        ],
      }),
    ).toBe(false);
  });

  it("treats exists as a test for a value, so an object field does not exist", () => {
    expect(matches({ address: [{ exists: true }] }, { address: { street: "x" } })).toBe(false);
    expect(matches({ address: [{ exists: false }] }, { address: { street: "x" } })).toBe(true);
  });

  it("counts null as an existing value", () => {
    expect(matches({ owner: [{ exists: true }] }, { owner: null })).toBe(true);
  });

  it("does not see fields inherited from Object.prototype", () => {
    expect(matches({ constructor: [{ exists: false }] }, {})).toBe(true);
    expect(matches({ toString: [{ exists: true }] }, {})).toBe(false);
  });

  it("matches a __proto__ key as an ordinary field", () => {
    const pattern = parseEventPattern(JSON.parse('{ "__proto__": ["x"] }'));
    expect(Object.getPrototypeOf(pattern)).toBe(Object.prototype);
    expect(matchesPattern(pattern, JSON.parse('{ "__proto__": "x" }'))).toBe(true);
    expect(matchesPattern(pattern, {})).toBe(false);
  });

  it.each([
    ["a*b*c", "aXbYc", true],
    ["a*b*c", "acb", false],
    ["*", "", true],
    ["a**", "a", true],
    ["ab*ba", "aba", false],
    ["no-star", "no-star", true],
    ["no-star", "no-stars", false],
  ])("wildcard %j against %j matches: %s", (wildcard, text, expected) => {
    expect(matches({ f: [{ wildcard }] }, { f: text })).toBe(expected);
  });

  it("applies anything-but prefix, suffix and equals-ignore-case only to strings", () => {
    expect(matches({ f: [{ "anything-but": { suffix: ".png" } }] }, { f: "a.jpg" })).toBe(true);
    expect(matches({ f: [{ "anything-but": { suffix: ".png" } }] }, { f: "a.png" })).toBe(false);
    expect(matches({ f: [{ "anything-but": { prefix: "1" } }] }, { f: 2 })).toBe(false);
    const notAliceOrBob = { f: [{ "anything-but": { "equals-ignore-case": ["alice", "bob"] } }] };
    expect(matches(notAliceOrBob, { f: "BOB" })).toBe(false);
    expect(matches(notAliceOrBob, { f: "carol" })).toBe(true);
  });

  it("matches $or nested inside a field's pattern", () => {
    const pattern = { address: { $or: [{ city: ["Pune"] }, { pincode: [560103] }] } };
    expect(matches(pattern, { address: { pincode: 560103 } })).toBe(true);
    expect(matches(pattern, { address: { city: "Delhi" } })).toBe(false);
  });

  it("treats a payload that is not an object as having no fields", () => {
    expect(matches({}, "text")).toBe(true);
    expect(matches({ a: [{ exists: false }] }, null)).toBe(true);
    expect(matches({ a: [1] }, [{ a: 1 }])).toBe(false);
  });
});

describe("numeric matching at its edges", () => {
  it.each([
    ["<", [true, false, false]],
    ["<=", [true, true, false]],
    ["=", [false, true, false]],
    [">=", [false, true, true]],
    [">", [false, false, true]],
  ] as const)("%s 5 against 4, 5 and 6", (op, expected) => {
    const pattern = { amount: [{ numeric: [op, 5] }] };
    expect([4, 5, 6].map((amount) => matches(pattern, { amount }))).toEqual(expected);
  });

  it.each([
    ["lower bound first", [">", 0, "<=", 10]],
    ["upper bound first", ["<=", 10, ">", 0]],
  ])("applies both bounds of a range given %s", (_, numeric) => {
    const pattern = { amount: [{ numeric }] };
    expect([0, 0.5, 10, 10.5].map((amount) => matches(pattern, { amount }))).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });
});

describe("wildcard matching between the stars", () => {
  it.each([
    ["a*b*c", "a-b-c", true],
    ["a*b*c", "abc", true],
    ["a*x*c", "abc", false],
    ["a*b*b", "ab", false], // the middle b may not be the last one
    ["*ab*ab*", "abab", true],
    ["*ab*ab*", "ab", false], // the second ab must come after the first
    ["*b*", "abc", true],
  ])("%s against %s: %s", (wildcard, text, expected) => {
    expect(matches({ path: [{ wildcard }] }, { path: text })).toBe(expected);
  });
});

describe("anything-but forms", () => {
  it("with equals-ignore-case of one value or a list, refuses those values in any case", () => {
    const one = { s: [{ "anything-but": { "equals-ignore-case": "draft" } }] };
    const many = { s: [{ "anything-but": { "equals-ignore-case": ["draft", "spam"] } }] };
    expect(parseEventPattern(one)).toEqual(one);
    expect(parseEventPattern(many)).toEqual(many);
    expect(["DRAFT", "Spam", "sent"].map((s) => matches(one, { s }))).toEqual([false, true, true]);
    expect(["DRAFT", "Spam", "sent"].map((s) => matches(many, { s }))).toEqual([
      false,
      false,
      true,
    ]);
  });

  const anythingBut =
    "anything-but needs a value, a non-empty array of values, or one of prefix, suffix, equals-ignore-case";
  it.each([
    ["a list with a matcher in it", ["a", { prefix: "b" }]],
    ["two matchers at once", { prefix: "a", suffix: "b" }],
    ["an empty equals-ignore-case list", { "equals-ignore-case": [] }],
    ["a non-string in equals-ignore-case", { "equals-ignore-case": ["a", 1] }],
  ])("refuses %s", (_, arg) => {
    expect(parseError({ s: [{ "anything-but": arg }] })).toHaveProperty(
      "message",
      `filter.s: ${anythingBut}`,
    );
  });
});

describe("the 1000 keys and values of a pattern count every list", () => {
  const many = (count: number) => Array.from({ length: count }, (_, i) => `v${i}`);
  it.each([
    ["an anything-but list", { s: [{ "anything-but": many(1000) }] }],
    [
      "an equals-ignore-case list",
      { s: [{ "anything-but": { "equals-ignore-case": many(1000) } }] },
    ],
    ["the patterns of $or, even empty ones", { $or: many(1000).map(() => ({})) }],
  ])("%s", (_, pattern) => {
    expect(parseError(pattern)).toHaveProperty(
      "message",
      "filter has more than 1000 keys and values",
    );
  });
});

describe("nesting inside $or", () => {
  it("counts a pattern inside $or one level deeper", () => {
    expect(() => parseEventPattern(nested(30, { $or: [{ a: [1] }, { b: [1] }] }))).not.toThrow();
    expect(parseError(nested(31, { $or: [{ a: [1] }, { b: [1] }] }))).toHaveProperty(
      "message",
      `filter${".a".repeat(31)}.$or[0] is nested deeper than 32 levels`,
    );
  });
});

describe("numeric patterns that are refused", () => {
  it("refuses a numeric with five or six elements", () => {
    for (const numeric of [
      [">", 0, "<", 10, 1],
      [">", 0, "<", 10, "<", 11],
    ]) {
      expect(parseError({ n: [{ numeric }] })).toBeInstanceOf(BadRequest);
    }
  });

  it.each([
    ["an unknown operator", [">", 0, "!=", 10]],
    ["a string bound", [">", 0, "<", "10"]],
  ])("refuses a range whose second pair has %s", (_, numeric) => {
    expect(parseError({ n: [{ numeric }] })).toHaveProperty(
      "message",
      "filter.n: numeric needs pairs of an operator (<, <=, =, >=, >) and a number",
    );
  });
});

describe("a nested pattern under a missing object", () => {
  it("sees every field of the missing object as missing", () => {
    const pattern = { address: { street: [{ exists: false }] } };
    expect(matches(pattern, {})).toBe(true);
    expect(matches(pattern, { address: { street: "x" } })).toBe(false);
  });
});

describe("parseEventPattern", () => {
  it("returns a copy that later edits of the input do not change", () => {
    const input = { state: ["active"] };
    const parsed = parseEventPattern(input);
    input.state.push("paused");
    expect(parsed).toEqual({ state: ["active"] });
  });

  it("names the given path in its messages", () => {
    expect(() => parseEventPattern({ state: "x" }, "body.filter")).toThrow(
      "body.filter.state must be an array of values or matchers",
    );
  });

  it("accepts a pattern nested 32 levels deep", () => {
    expect(() => parseEventPattern(nested(31, { a: [1] }))).not.toThrow();
  });

  it("accepts 1000 keys and values", () => {
    expect(() => parseEventPattern({ a: Array.from({ length: 999 }, (_, i) => i) })).not.toThrow();
  });

  const op = "an operator (<, <=, =, >=, >) and a number";
  const anythingBut =
    "anything-but needs a value, a non-empty array of values, or one of prefix, suffix, equals-ignore-case";
  it.each([
    ["a string", "state", "filter must be an object"],
    ["an array", [{ a: [1] }], "filter must be an object"],
    ["null", null, "filter must be an object"],
    [
      "a scalar field",
      { address: { pincode: 560103 } },
      "filter.address.pincode must be an array of values or matchers",
    ],
    ["an empty value array", { state: [] }, "filter.state must not be an empty array"],
    [
      "an array inside the values",
      { state: [["a"]] },
      "filter.state must be an array of values or matchers",
    ],
    ["an unknown matcher", { state: [{ foo: 1 }] }, 'filter.state: unknown matcher "foo"'],
    [
      "a matcher with two keys",
      { s: [{ prefix: "a", suffix: "b" }] },
      "filter.s: a matcher must have exactly one key",
    ],
    ["a matcher with no key", { s: [{}] }, "filter.s: a matcher must have exactly one key"],
    [
      "a bad numeric operator",
      { amount: [{ numeric: ["!=", 3] }] },
      `filter.amount: numeric needs pairs of ${op}`,
    ],
    [
      "a numeric string",
      { amount: [{ numeric: [">", "3"] }] },
      `filter.amount: numeric needs pairs of ${op}`,
    ],
    [
      "a numeric without its number",
      { amount: [{ numeric: [">", 0, "<"] }] },
      `filter.amount: numeric needs pairs of ${op}`,
    ],
    [
      "numeric that is not an array",
      { amount: [{ numeric: 3 }] },
      `filter.amount: numeric needs pairs of ${op}`,
    ],
    [
      "a numeric range with two lower bounds",
      { amount: [{ numeric: [">", 0, ">=", 5] }] },
      "filter.amount: a numeric range needs a lower (>, >=) and an upper (<, <=) bound",
    ],
    ["a non-string prefix", { region: [{ prefix: 1 }] }, "filter.region: prefix needs a string"],
    ["a non-string suffix", { file: [{ suffix: null }] }, "filter.file: suffix needs a string"],
    [
      "a non-string wildcard",
      { path: [{ wildcard: ["*"] }] },
      "filter.path: wildcard needs a string",
    ],
    [
      "a non-boolean exists",
      { coupon: [{ exists: "yes" }] },
      "filter.coupon: exists needs true or false",
    ],
    ["an empty anything-but list", { s: [{ "anything-but": [] }] }, `filter.s: ${anythingBut}`],
    [
      "anything-but with wildcard",
      { s: [{ "anything-but": { wildcard: "*" } }] },
      `filter.s: ${anythingBut}`,
    ],
    [
      "$or with one pattern",
      { $or: [{ a: [1] }] },
      "filter.$or must be an array of at least 2 patterns",
    ],
    [
      "$or that is an object",
      { $or: { a: [1] } },
      "filter.$or must be an array of at least 2 patterns",
    ],
    ["$or with a non-pattern", { $or: [{ a: [1] }, 3] }, "filter.$or[1] must be an object"],
    [
      "a bad value inside $or",
      { $or: [{ a: [1] }, { b: 2 }] },
      "filter.$or[1].b must be an array of values or matchers",
    ],
    [
      "nesting deeper than 32 levels",
      nested(32, { a: [1] }),
      `filter${".a".repeat(32)} is nested deeper than 32 levels`,
    ],
    [
      "more than 1000 keys and values",
      { a: Array.from({ length: 1000 }, (_, i) => i) },
      "filter has more than 1000 keys and values",
    ],
  ])("rejects %s", (_, pattern, message) => {
    const error = parseError(pattern);
    expect(error).toBeInstanceOf(BadRequest);
    expect(error).toHaveProperty("message", message);
  });
});

/** `inner` wrapped in `levels` objects under the key "a". */
function nested(levels: number, inner: object): object {
  let pattern = inner;
  for (let i = 0; i < levels; i++) pattern = { a: pattern };
  return pattern;
}
