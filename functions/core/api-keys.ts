import { createHash, randomBytes } from "node:crypto";

/** `sk_` + 43 base64url characters (32 random bytes), SPEC §1. */
export const API_KEY_PATTERN = /^sk_[A-Za-z0-9_-]{43}$/;

export function newApiKey(): string {
  return `sk_${randomBytes(32).toString("base64url")}`;
}

/** Keys are stored only as this hash, so a leaked table leaks no key. */
export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}
