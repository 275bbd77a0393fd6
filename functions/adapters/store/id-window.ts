import { encodeTime } from "ulid";
import { ABOVE_ALL, type IdRange } from "./sharded-query.ts";

/**
 * The ids with `prefix` minted in a time window, both ends inclusive to the millisecond (every
 * ULID of a millisecond starts with its time and sorts below "~"), from `after` on when a
 * previous read ended there.
 */
export function idWindow(
  prefix: string,
  window: { since?: Date | undefined; until?: Date | undefined },
  after?: string,
): IdRange {
  const from = `${prefix}${window.since ? encodeTime(window.since.getTime(), 10) : ""}`;
  const until = window.until ? encodeTime(window.until.getTime(), 10) : "";
  return {
    low: after !== undefined && after > from ? after : from,
    high: `${prefix}${until}${ABOVE_ALL}`,
    skip: after,
  };
}
