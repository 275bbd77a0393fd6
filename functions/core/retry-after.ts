import { MAX_DELAY_SECONDS } from "./retry-policy.ts";

/** The answers whose `Retry-After` delays the next attempt (SPEC §3.1). */
const HONOURED_STATUSES = new Set([429, 503]);

/**
 * How long a receiver asked to be left alone: a 429 or 503 answer's `Retry-After`, in seconds
 * (RFC 9110: delta-seconds, or an HTTP date), at most 12 hours. Undefined for another status,
 * no header, or one that is neither form.
 */
export function retryAfterSeconds(
  statusCode: number | null,
  header: string | undefined,
  now: Date,
): number | undefined {
  if (statusCode === null || !HONOURED_STATUSES.has(statusCode) || header === undefined) {
    return undefined;
  }
  const value = header.trim();
  let seconds: number;
  if (/^\d+$/.test(value)) {
    seconds = Number(value);
  } else {
    // An HTTP date names a letter day or month; a bare number of another shape is not one.
    const at = /[a-z]/i.test(value) ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(at)) return undefined;
    seconds = Math.ceil((at - now.getTime()) / 1000);
  }
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, seconds));
}
