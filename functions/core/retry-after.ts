import { MAX_DELAY_SECONDS } from "./retry-policy.ts";

const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
/** IMF-fixdate, the obsolete RFC 850 form, and asctime's. */
const HTTP_DATES = [
  new RegExp(`^${DAY}, \\d{2} ${MONTH} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT$`),
  new RegExp(`^${DAY}[a-z]*, \\d{2}-${MONTH}-\\d{2} \\d{2}:\\d{2}:\\d{2} GMT$`),
  new RegExp(`^${DAY} ${MONTH} [ \\d]\\d \\d{2}:\\d{2}:\\d{2} \\d{4}$`),
];

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
    // Only the three forms of an HTTP date (RFC 9110 §5.6.7): Date.parse alone takes almost
    // anything ("May 3" is a date in 2001).
    const form = HTTP_DATES.findIndex((date) => date.test(value));
    // asctime's form names no zone: it is GMT, as the others say.
    const at = form < 0 ? Number.NaN : Date.parse(form === 2 ? `${value} GMT` : value);
    if (Number.isNaN(at)) return undefined;
    seconds = Math.ceil((at - now.getTime()) / 1000);
  }
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, seconds));
}
