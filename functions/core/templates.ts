import { BadRequest } from "./errors.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "./json.ts";

/**
 * Workflow action templates (SPEC §2.4): string values of an action's body and headers may hold
 * `{{path}}` placeholders that read one event. Keys are never templated.
 */

/** What a template can read: one event. */
export interface TemplateContext {
  payload: JsonObject;
  linked_account_id: string | null;
  event_id: string;
  event: string;
  timestamp: string;
}

/** A path the event does not have, met while rendering. */
export class TemplateError extends Error {
  /** The placeholder's path, e.g. "payload.middle_name". */
  readonly path: string;

  constructor(path: string, message: string) {
    super(message);
    this.name = "TemplateError";
    this.path = path;
  }
}

const ROOTS = ["payload", "linked_account_id", "event_id", "event", "timestamp"] as const;
type Root = (typeof ROOTS)[number];

const isRoot = (name: string): name is Root => (ROOTS as readonly string[]).includes(name);

/** One `{{…}}` of a template string: `keys` are the segments after the root. */
interface Placeholder {
  path: string;
  root: Root;
  keys: string[];
}

/** A template string cut into literal text and placeholders, in order. */
type Piece = string | Placeholder;

/** Long user text is cut short in messages; the location already says where to look. */
const excerpt = (text: string): string =>
  JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);

/**
 * Cuts `text` into pieces in one left-to-right pass, throwing a 400 at `where` for the first
 * malformed placeholder. Only the pairs `{{` and `}}` are syntax: a lone `{` or `}` is text, so
 * JSON-looking strings such as `{"a":1}` pass. There is no escape, so a literal `}}` (as in
 * `{"a":{"b":1}}`) cannot be written.
 */
function scan(text: string, where: string): Piece[] {
  const pieces: Piece[] = [];
  let textStart = 0;
  let at = 0;
  while (at < text.length - 1) {
    if (text.startsWith("}}", at)) {
      throw new BadRequest(`${where}: unbalanced braces: "}}" at offset ${at} has no opening {{`);
    }
    if (!text.startsWith("{{", at)) {
      at += 1;
      continue;
    }
    // The first `}}` or `{{` after the opening decides: a placeholder cannot hold either.
    let end = at + 2;
    while (end < text.length - 1 && !text.startsWith("}}", end) && !text.startsWith("{{", end)) {
      end += 1;
    }
    if (text.startsWith("{{", end)) {
      throw new BadRequest(
        `${where}: unbalanced braces: ${excerpt(text.slice(at, end + 2))} opens {{ inside a placeholder`,
      );
    }
    if (!text.startsWith("}}", end)) {
      throw new BadRequest(
        `${where}: unbalanced braces: ${excerpt(text.slice(at))} has no closing }}`,
      );
    }
    if (at > textStart) pieces.push(text.slice(textStart, at));
    pieces.push(placeholder(text.slice(at + 2, end), where));
    at = end + 2;
    textStart = at;
  }
  if (textStart < text.length) pieces.push(text.slice(textStart));
  return pieces;
}

/**
 * The placeholder between one pair of braces. Whitespace around the path is ignored; inside it
 * is part of a key (JSON keys may hold spaces). Keys holding a dot cannot be reached.
 */
function placeholder(inner: string, where: string): Placeholder {
  const path = inner.trim();
  if (path === "") throw new BadRequest(`${where}: empty placeholder "{{${inner}}}"`);
  const [root = "", ...keys] = path.split(".");
  if (root === "" || keys.includes("")) {
    throw new BadRequest(`${where}: placeholder ${excerpt(path)} has an empty path segment`);
  }
  if (!isRoot(root)) {
    throw new BadRequest(
      `${where}: unknown placeholder root ${excerpt(root)} (use payload, payload.…, linked_account_id, event_id, event or timestamp)`,
    );
  }
  if (root !== "payload" && keys.length > 0) {
    throw new BadRequest(
      `${where}: placeholder ${excerpt(path)} reads into ${root}; only payload has sub-paths`,
    );
  }
  return { path, root, keys };
}

/**
 * Throws a 400 naming the location of the first malformed placeholder in `template`. It
 * recurses, so give it only templates whose depth was checked (nestsDeeperThan).
 */
export function checkTemplate(template: JsonValue, where: string): void {
  if (typeof template === "string") {
    scan(template, where);
  } else if (Array.isArray(template)) {
    for (const [index, item] of template.entries()) checkTemplate(item, `${where}[${index}]`);
  } else if (isJsonObject(template)) {
    for (const [key, value] of Object.entries(template)) checkTemplate(value, `${where}.${key}`);
  }
}

/**
 * The template with every placeholder replaced by the event's value. A string that is exactly
 * one placeholder takes the value itself, with its JSON type; inside longer text a value is
 * written as text. It throws TemplateError for a path the event lacks and, since templates are
 * checked when saved, a 400 only for one that skipped checkTemplate. Same depth caveat as
 * checkTemplate. Pure: the result shares no objects with its inputs.
 */
export function renderTemplate(
  template: JsonValue,
  context: TemplateContext,
  where: string,
): JsonValue {
  if (typeof template === "string") return renderString(template, context, where);
  if (Array.isArray(template)) {
    return template.map((item, index) => renderTemplate(item, context, `${where}[${index}]`));
  }
  if (isJsonObject(template)) {
    // fromEntries defines own properties, so a key "__proto__" stays a key; assigning it to a
    // plain object would instead replace the result's prototype.
    return Object.fromEntries(
      Object.entries(template).map(([key, value]) => [
        key,
        renderTemplate(value, context, `${where}.${key}`),
      ]),
    );
  }
  return template;
}

function renderString(text: string, context: TemplateContext, where: string): JsonValue {
  const pieces = scan(text, where);
  const [only] = pieces;
  if (pieces.length === 1 && typeof only === "object") {
    // The value is copied so that changing the rendered body cannot change the event.
    return structuredClone(lookUp(only, context, where));
  }
  return pieces
    .map((piece) => (typeof piece === "string" ? piece : asText(lookUp(piece, context, where))))
    .join("");
}

/**
 * A value as text inside a longer string. null is a present value (an event without an account
 * has linked_account_id null) and is written "null", as String(null) gives: the same rule as
 * numbers and booleans, and unlike "" it shows in the output that the value was null.
 */
function asText(value: JsonValue): string {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}

function lookUp(placeholder: Placeholder, context: TemplateContext, where: string): JsonValue {
  let value: unknown = context[placeholder.root];
  for (const key of placeholder.keys) value = child(value, key);
  if (value === undefined) {
    throw new TemplateError(
      placeholder.path,
      `${where}: ${placeholder.path} is missing from the event`,
    );
  }
  return value as JsonValue;
}

/** A canonical array index: "01" and "1.0" would otherwise both read element 1. */
const INDEX = /^(?:0|[1-9][0-9]*)$/;

/**
 * The value under `key`, or undefined. Only own keys and in-bounds indexes count, so
 * `__proto__`, `constructor` or `length` never reach the prototype chain or array internals;
 * a string, number, boolean or null has no children.
 */
function child(value: unknown, key: string): unknown {
  if (Array.isArray(value)) {
    return INDEX.test(key) && Number(key) < value.length ? value[Number(key)] : undefined;
  }
  if (isJsonObject(value)) return Object.hasOwn(value, key) ? value[key] : undefined;
  return undefined;
}
