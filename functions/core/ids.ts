import { createHash } from "node:crypto";
import { decodeTime, encodeTime, monotonicFactory } from "ulid";

/** Resource id prefixes (SPEC §1). */
export const ID_PREFIX = {
  app: "app",
  event: "evt",
  subscription: "sub",
  workflow: "wf",
  run: "run",
  delivery: "msg",
} as const;

export type IdKind = keyof typeof ID_PREFIX;

const ULID_PATTERN = "[0-9A-HJKMNP-TV-Z]{26}";
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const DELIVERY_SUFFIX_LENGTH = 8;

// Monotonic so that ids minted in the same millisecond still sort in creation order.
const nextUlid = monotonicFactory();

/** A new time-sortable id: prefix, underscore, ULID. */
export function newId(kind: IdKind, now = Date.now()): string {
  return `${ID_PREFIX[kind]}_${nextUlid(now)}`;
}

/** The time (epoch ms) an id was minted at: its ULID's, which a delivery's id shares with its event's. */
export function timeOf(id: string): number {
  return decodeTime(id.slice(id.indexOf("_") + 1, id.indexOf("_") + 27));
}

/** Whether `value` is a well-formed id of this kind (a malformed id is a 404, not a 400). */
export function isId(kind: IdKind, value: string): boolean {
  const suffix = kind === "delivery" ? `(?:[0-9A-HJKMNP-TV-Z]{${DELIVERY_SUFFIX_LENGTH}})?` : "";
  return new RegExp(`^${ID_PREFIX[kind]}_${ULID_PATTERN}${suffix}$`).test(value);
}

/**
 * An id that is the same every time it is derived from the same time and seed: a ULID whose
 * random part is a hash of the seed. For something that may be emitted twice (a retried step)
 * but must be recognised as one.
 */
export function derivedId(kind: IdKind, timeMs: number, seed: string): string {
  const digest = createHash("sha256").update(seed).digest();
  return `${ID_PREFIX[kind]}_${encodeTime(timeMs, 10)}${crockfordBase32(digest, 16)}`;
}

export interface DeliveryTarget {
  type: "webhook" | "workflow";
  id: string;
}

/**
 * The delivery id for one (event, target, replay) triple: the event's ULID, so deliveries
 * sort with their event, then a short hash of the rest. Deterministic, so a fan-out that runs
 * twice for one event writes the same delivery instead of a second one.
 */
export function deliveryId(eventId: string, target: DeliveryTarget, replay = 0): string {
  const eventUlid = eventId.slice(eventId.indexOf("_") + 1);
  const digest = createHash("sha256").update(`${target.type}:${target.id}:${replay}`).digest();
  return `${ID_PREFIX.delivery}_${eventUlid}${crockfordBase32(digest, DELIVERY_SUFFIX_LENGTH)}`;
}

/** The first `length` Crockford base32 characters of `bytes` (5 bits a character). */
function crockfordBase32(bytes: Uint8Array, length: number): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      bits -= 5;
      out += CROCKFORD[(buffer >> bits) & 31];
    }
    if (out.length === length) break;
  }
  return out;
}
