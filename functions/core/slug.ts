/** What a slug may be (SPEC §2.2). */
export const SLUG_PATTERN = /^[a-z0-9_]{1,64}$/;
const MAX_SLUG_LENGTH = 64;

/**
 * The slug derived from a name: lowercase, every run of characters outside [a-z0-9] becomes
 * `_`, leading and trailing `_` trimmed, cut to 64. May be empty: the caller rejects that.
 */
export function slugFromName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/_+$/, "");
}
