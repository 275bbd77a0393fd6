import { BadRequest } from "./errors.ts";
import { isJsonObject, type JsonObject, type JsonType, jsonType } from "./json.ts";

/** One trigger variable: a leaf path of a definition's sample payload and its JSON type. */
export interface TriggerVariable {
  path: string;
  type: JsonType;
}

/** A leaf of a sample: the keys that lead to it (a key may itself hold a dot). */
interface Leaf {
  keys: string[];
  /** An array leaf stands for all its elements; `type` is then its first element's. */
  isArray: boolean;
  type: JsonType;
}

/** Every leaf of the sample in document order. */
function leaves(sample: JsonObject): Leaf[] {
  const found: Leaf[] = [];
  const visit = (value: unknown, keys: string[]): void => {
    if (Array.isArray(value)) {
      found.push({ keys, isArray: true, type: value.length ? jsonType(value[0]) : "array" });
    } else if (isJsonObject(value) && Object.keys(value).length > 0) {
      for (const [key, child] of Object.entries(value)) visit(child, [...keys, key]);
    } else {
      found.push({ keys, isArray: false, type: jsonType(value) });
    }
  };
  for (const [key, child] of Object.entries(sample)) visit(child, [key]);
  return found;
}

const pathOf = (keys: string[]) => ["payload", ...keys].join(".");

/**
 * Every leaf of the sample in document order (SPEC §2.2). An array contributes `path[]` with
 * the type of its first element (`array` when empty); an empty object contributes `object`.
 */
export function triggerVariables(sample: JsonObject): TriggerVariable[] {
  return leaves(sample).map((leaf) => ({
    path: `${pathOf(leaf.keys)}${leaf.isArray ? "[]" : ""}`,
    type: leaf.type,
  }));
}

/**
 * Strict mode (SPEC §2.1): every leaf path of the sample must be present in the live payload
 * with the same JSON type; extra keys are allowed. Throws a 400 naming the first bad path.
 */
export function assertPayloadFitsSample(payload: JsonObject, sample: JsonObject): void {
  for (const leaf of leaves(sample)) {
    const path = pathOf(leaf.keys);
    const value = valueAt(payload, leaf.keys);
    if (!leaf.isArray) {
      if (jsonType(value) !== leaf.type)
        throw new BadRequest(`${path} must be ${article(leaf.type)}`);
      continue;
    }
    if (!Array.isArray(value)) throw new BadRequest(`${path} must be an array`);
    if (leaf.type === "array") continue;
    value.forEach((element, index) => {
      if (jsonType(element) !== leaf.type) {
        throw new BadRequest(`${path}[${index}] must be ${article(leaf.type)}`);
      }
    });
  }
}

/** The value at `keys`; throws a 400 naming the first step that is missing or no object. */
function valueAt(object: JsonObject, keys: string[]): unknown {
  let current: unknown = object;
  for (const [depth, key] of keys.entries()) {
    if (!isJsonObject(current)) {
      throw new BadRequest(`${pathOf(keys.slice(0, depth))} must be an object`);
    }
    if (!Object.hasOwn(current, key)) {
      throw new BadRequest(`${pathOf(keys.slice(0, depth + 1))} is required by the event's sample`);
    }
    current = current[key];
  }
  return current;
}

/** "an object", "a string", "null". */
export function article(type: JsonType): string {
  if (type === "null") return "null";
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
