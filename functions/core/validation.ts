import type { core } from "zod/mini";
import * as z from "zod/mini";
import { BadRequest } from "./errors.ts";
import { isJsonObject, type JsonObject } from "./json.ts";

/**
 * Parses `input` with `schema`; on failure throws a 400 whose message says what was wrong and
 * where (`payload.address must be an object`), from the first issue zod found.
 */
export function parseInput<T extends z.ZodMiniType>(
  schema: T,
  input: unknown,
  what = "body",
): z.output<T> {
  // reportInput: an issue carries the value, which tells a missing field from a wrong one.
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  throw new BadRequest(issue ? describeIssue(issue, what) : `${what} is invalid`);
}

/** A string of `min` to `max` characters. */
export const text = (min: number, max: number) =>
  z.string().check(z.minLength(min), z.maxLength(max));

/** A JSON object (not an array, not null); its message reads "<path> must be an object". */
export const jsonObject = z.custom<JsonObject>(isJsonObject, { message: "must be an object" });

function describeIssue(issue: core.$ZodIssue, what: string): string {
  const where = formatPath(issue.path) || what;
  if (issue.input === undefined && (issue.code === "invalid_type" || issue.code === "custom")) {
    return `${where} is required`;
  }
  switch (issue.code) {
    case "invalid_type":
      return `${where} must be ${expectedType(issue.expected)}`;
    case "unrecognized_keys":
      return `${where === what ? what : where} has unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((key) => `"${key}"`).join(", ")}`;
    case "too_small":
      return `${where} must ${bound(issue.origin, "at least", issue.minimum)}`;
    case "too_big":
      return `${where} must ${bound(issue.origin, "at most", issue.maximum)}`;
    case "invalid_format":
      return `${where} ${issue.message}`;
    case "invalid_value":
      return `${where} must be one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
    default:
      return `${where} ${issue.message}`;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === "number") return `${out}[${key}]`;
    return out ? `${out}.${String(key)}` : String(key);
  }, "");
}

function expectedType(expected: string): string {
  if (expected === "record" || expected === "object") return "an object";
  if (expected === "array") return "an array";
  if (expected === "int") return "an integer";
  return `a ${expected}`;
}

function bound(origin: string, relation: string, limit: number | bigint): string {
  if (origin === "string" && relation === "at least" && limit === 1) return "not be empty";
  if (origin === "string") return `be ${relation} ${limit} characters long`;
  if (origin === "array") return `hold ${relation} ${limit} item${limit === 1 ? "" : "s"}`;
  return `be ${relation} ${limit}`;
}
