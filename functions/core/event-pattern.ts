/**
 * Content filters (SPEC §2.3): Amazon EventBridge event-pattern semantics applied to an event
 * payload. `parseEventPattern` validates a pattern once, when a webhook, workflow or local-bus
 * rule is saved; `matchesPattern` then runs it against each payload. The validated pattern is a
 * plain-JSON copy of the input, so it can be stored and returned as the caller wrote it.
 */
import { BadRequest } from "./errors.ts";

type Scalar = string | number | boolean | null;
type NumericOp = "<" | "<=" | "=" | ">=" | ">";
type Numeric = readonly [NumericOp, number] | readonly [NumericOp, number, NumericOp, number];
type AnythingBut =
  | Scalar
  | readonly Scalar[]
  | { readonly prefix: string }
  | { readonly suffix: string }
  | { readonly "equals-ignore-case": string | readonly string[] };
type Matcher =
  | { readonly prefix: string }
  | { readonly suffix: string }
  | { readonly "equals-ignore-case": string }
  | { readonly wildcard: string }
  | { readonly "anything-but": AnythingBut }
  | { readonly numeric: Numeric }
  | { readonly exists: boolean };
/** The values of one key: the field matches when any of them does. */
type Rule = readonly (Scalar | Matcher)[];

/** A validated pattern: each key holds a nested pattern or a rule; `$or` holds patterns. */
export type EventPattern = {
  readonly [key: string]: EventPattern | Rule | readonly EventPattern[];
};

// Bounds so that a hostile pattern cannot exhaust the stack or make matching slow.
const MAX_DEPTH = 32;
const MAX_ENTRIES = 1000;
const LOWER_BOUNDS = new Set([">", ">="]);
const UPPER_BOUNDS = new Set(["<", "<="]);

type Budget = { root: string; entries: number };

/** Validates `pattern` and returns a copy of it; throws BadRequest naming the wrong part. */
export function parseEventPattern(pattern: unknown, path = "filter"): EventPattern {
  return parsePattern(pattern, path, 1, { root: path, entries: 0 });
}

function parsePattern(pattern: unknown, path: string, depth: number, budget: Budget): EventPattern {
  if (!isObject(pattern)) throw new BadRequest(`${path} must be an object`);
  if (depth > MAX_DEPTH) throw new BadRequest(`${path} is nested deeper than ${MAX_DEPTH} levels`);
  const entries = Object.entries(pattern).map(([key, value]) => {
    spend(budget, 1);
    const at = `${path}.${key}`;
    if (key === "$or") return [key, parseOr(value, at, depth, budget)];
    if (isObject(value)) return [key, parsePattern(value, at, depth + 1, budget)];
    return [key, parseRule(value, at, budget)];
  });
  // fromEntries defines own properties, so a "__proto__" key stays a plain key.
  return Object.fromEntries(entries);
}

function parseOr(value: unknown, path: string, depth: number, budget: Budget): EventPattern[] {
  if (!Array.isArray(value) || value.length < 2) {
    throw new BadRequest(`${path} must be an array of at least 2 patterns`);
  }
  spend(budget, value.length);
  return value.map((pattern, i) => parsePattern(pattern, `${path}[${i}]`, depth + 1, budget));
}

function parseRule(rule: unknown, path: string, budget: Budget): Rule {
  if (!Array.isArray(rule)) throw new BadRequest(`${path} must be an array of values or matchers`);
  if (rule.length === 0) throw new BadRequest(`${path} must not be an empty array`);
  spend(budget, rule.length);
  return rule.map((value) => parseValue(value, path, budget));
}

function parseValue(value: unknown, path: string, budget: Budget): Scalar | Matcher {
  if (isScalar(value)) return value;
  if (!isObject(value)) throw new BadRequest(`${path} must be an array of values or matchers`);
  const names = Object.keys(value);
  const name = names[0];
  if (names.length !== 1 || name === undefined) {
    throw new BadRequest(`${path}: a matcher must have exactly one key`);
  }
  const arg = value[name];
  switch (name) {
    case "prefix":
      return { prefix: needString(name, arg, path) };
    case "suffix":
      return { suffix: needString(name, arg, path) };
    case "equals-ignore-case":
      return { "equals-ignore-case": needString(name, arg, path) };
    case "wildcard":
      return { wildcard: needString(name, arg, path) };
    case "exists":
      if (typeof arg !== "boolean") throw new BadRequest(`${path}: exists needs true or false`);
      return { exists: arg };
    case "numeric":
      return { numeric: parseNumeric(arg, path) };
    case "anything-but":
      return { "anything-but": parseAnythingBut(arg, path, budget) };
    default:
      throw new BadRequest(`${path}: unknown matcher ${JSON.stringify(name)}`);
  }
}

function needString(name: string, arg: unknown, path: string): string {
  if (typeof arg !== "string") throw new BadRequest(`${path}: ${name} needs a string`);
  return arg;
}

function parseNumeric(arg: unknown, path: string): Numeric {
  const bad = `${path}: numeric needs pairs of an operator (<, <=, =, >=, >) and a number`;
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) throw new BadRequest(bad);
  const [op1, n1, op2, n2] = arg;
  if (!isNumericOp(op1) || !isFiniteNumber(n1)) throw new BadRequest(bad);
  if (arg.length === 2) return [op1, n1];
  if (!isNumericOp(op2) || !isFiniteNumber(n2)) throw new BadRequest(bad);
  // Two pairs only make sense as a range: one bound below and one above.
  const isRange =
    (LOWER_BOUNDS.has(op1) && UPPER_BOUNDS.has(op2)) ||
    (UPPER_BOUNDS.has(op1) && LOWER_BOUNDS.has(op2));
  if (!isRange) {
    throw new BadRequest(
      `${path}: a numeric range needs a lower (>, >=) and an upper (<, <=) bound`,
    );
  }
  return [op1, n1, op2, n2];
}

function parseAnythingBut(arg: unknown, path: string, budget: Budget): AnythingBut {
  if (isScalar(arg)) return arg;
  if (Array.isArray(arg) && arg.length > 0 && arg.every(isScalar)) {
    spend(budget, arg.length);
    return [...arg];
  }
  if (isObject(arg) && Object.keys(arg).length === 1) {
    const { prefix, suffix, "equals-ignore-case": ignoreCase } = arg;
    if (typeof prefix === "string") return { prefix };
    if (typeof suffix === "string") return { suffix };
    if (typeof ignoreCase === "string") return { "equals-ignore-case": ignoreCase };
    if (Array.isArray(ignoreCase) && ignoreCase.length > 0 && ignoreCase.every(isString)) {
      spend(budget, ignoreCase.length);
      return { "equals-ignore-case": [...ignoreCase] };
    }
  }
  throw new BadRequest(
    `${path}: anything-but needs a value, a non-empty array of values, or one of prefix, suffix, equals-ignore-case`,
  );
}

function spend(budget: Budget, entries: number): void {
  budget.entries += entries;
  if (budget.entries > MAX_ENTRIES) {
    throw new BadRequest(`${budget.root} has more than ${MAX_ENTRIES} keys and values`);
  }
}

/** Whether `payload` matches `pattern` (from parseEventPattern). */
export function matchesPattern(pattern: EventPattern, payload: unknown): boolean {
  return matchesObject(pattern, isObject(payload) ? payload : undefined);
}

/** `fields` is undefined when the object itself is missing: then every field is missing. */
function matchesObject(
  pattern: EventPattern,
  fields: Record<string, unknown> | undefined,
): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    // parseEventPattern guarantees `$or` holds patterns and every other array holds a rule.
    if (key === "$or") {
      return (rule as readonly EventPattern[]).some((p) => matchesObject(p, fields));
    }
    // Own properties only: a payload must not match "constructor" through its prototype.
    const value = fields && Object.hasOwn(fields, key) ? fields[key] : undefined;
    return isList(rule) ? matchesRule(rule as Rule, value) : matchesNested(rule, value);
  });
}

function matchesNested(pattern: EventPattern, value: unknown): boolean {
  if (value === undefined) return matchesObject(pattern, undefined);
  // Each object of an array is matched on its own, so keys cannot mix across elements.
  if (isList(value)) return value.some((item) => matchesNested(pattern, item));
  return isObject(value) && matchesObject(pattern, value);
}

function matchesRule(rule: Rule, value: unknown): boolean {
  const leaves = leafValues(value);
  return rule.some((expected) =>
    !isScalar(expected) && "exists" in expected
      ? expected.exists === leaves.length > 0
      : leaves.some((leaf) => matchesLeaf(expected, leaf)),
  );
}

/** The scalars a field holds: none when missing or an object, each element of an array. */
function leafValues(value: unknown): unknown[] {
  if (value === undefined || isObject(value)) return [];
  return isList(value) ? value.flatMap(leafValues) : [value];
}

function matchesLeaf(expected: Scalar | Matcher, leaf: unknown): boolean {
  // Strict equality is type-aware: 5 matches 5.0 but not "5", and null only null.
  if (isScalar(expected)) return leaf === expected;
  if ("numeric" in expected) return typeof leaf === "number" && inRange(leaf, expected.numeric);
  if ("anything-but" in expected) return isAllowedBy(expected["anything-but"], leaf);
  if (typeof leaf !== "string") return false;
  if ("prefix" in expected) return leaf.startsWith(expected.prefix);
  if ("suffix" in expected) return leaf.endsWith(expected.suffix);
  if ("equals-ignore-case" in expected) {
    return sameIgnoringCase(leaf, expected["equals-ignore-case"]);
  }
  if ("wildcard" in expected) return matchesWildcard(expected.wildcard, leaf);
  return false; // `exists` is decided by matchesRule, which sees the whole field.
}

function isAllowedBy(excluded: AnythingBut, leaf: unknown): boolean {
  if (isList(excluded)) return !excluded.some((value) => value === leaf);
  if (isScalar(excluded)) return leaf !== excluded;
  // The string forms exclude by string shape, so they only apply to strings.
  if (typeof leaf !== "string") return false;
  if ("prefix" in excluded) return !leaf.startsWith(excluded.prefix);
  if ("suffix" in excluded) return !leaf.endsWith(excluded.suffix);
  const values = [excluded["equals-ignore-case"]].flat();
  return !values.some((value) => sameIgnoringCase(leaf, value));
}

function inRange(n: number, [op1, n1, op2, n2]: Numeric): boolean {
  return compare(n, op1, n1) && (op2 === undefined || n2 === undefined || compare(n, op2, n2));
}

function compare(n: number, op: NumericOp, bound: number): boolean {
  switch (op) {
    case "<":
      return n < bound;
    case "<=":
      return n <= bound;
    case "=":
      return n === bound;
    case ">=":
      return n >= bound;
    case ">":
      return n > bound;
  }
}

function sameIgnoringCase(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * `*` matches any run of characters. Without regular expressions, so a pattern with many stars
 * cannot backtrack: the text between stars is found left to right, each as early as possible.
 */
function matchesWildcard(pattern: string, text: string): boolean {
  const parts = pattern.split("*");
  if (parts.length === 1) return text === pattern;
  const first = parts[0] ?? "";
  const last = parts.at(-1) ?? "";
  const end = text.length - last.length;
  if (end < first.length || !text.startsWith(first) || !text.endsWith(last)) return false;
  let from = first.length;
  for (const part of parts.slice(1, -1)) {
    const at = text.indexOf(part, from);
    if (at === -1 || at + part.length > end) return false;
    from = at + part.length;
  }
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// Array.isArray narrows to a mutable array, which drops readonly arrays from unions.
function isList(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

function isScalar(value: unknown): value is Scalar {
  return value === null || isString(value) || typeof value === "boolean" || isFiniteNumber(value);
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}

function isFiniteNumber(value: unknown): value is number {
  return Number.isFinite(value); // false for anything but a number: it does not convert
}

function isNumericOp(value: unknown): value is NumericOp {
  return value === "<" || value === "<=" || value === "=" || value === ">=" || value === ">";
}
