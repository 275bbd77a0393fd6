/** A JSON value as parsed by JSON.parse. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

/** The JSON type names the API speaks of. */
export type JsonType = "string" | "number" | "boolean" | "null" | "array" | "object";

export function jsonType(value: unknown): JsonType {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  const type = typeof value;
  if (type === "string" || type === "number" || type === "boolean") return type;
  return "object";
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Whether `value` nests deeper than `limit` levels (a scalar is 0 levels, `{}` and `[]` are 1,
 * `{a:{}}` is 2). It walks with a stack of its own and stops at the first container past the
 * limit: a body can nest thousands of levels in a few KB, which a recursive walk would answer
 * with a stack overflow. Run it before any recursive walk of user JSON.
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 1 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== "object" || next.value === null) continue;
    if (next.depth > limit) return true;
    for (const child of Object.values(next.value)) {
      pending.push({ value: child, depth: next.depth + 1 });
    }
  }
  return false;
}

/**
 * JSON with object keys sorted at every level: equal values give equal text. It recurses (as
 * JSON.stringify does), so give it only values whose depth was checked.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    isJsonObject(inner)
      ? // The keys of one object are never equal: a comparison need not answer 0.
        Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : 1)))
      : inner,
  );
}
