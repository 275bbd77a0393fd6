import type { Clock } from "../clock.ts";
import type { Subscription } from "../model.ts";
import type { SubscriptionStore } from "../ports.ts";

/** Reads one subscription as it is now (or null when it is gone). */
export type SubscriptionLookup = (appId: string, id: string) => Promise<Subscription | null>;

/** SPEC §2: a change to a subscription applies at most 5 s after it was answered. */
export const SUBSCRIPTION_CACHE_MS = 5_000;
const MAX_ENTRIES = 1_000;

/**
 * Reads subscriptions through a per-container cache that keeps each answer `ttlMs`, the
 * staleness SPEC §2 allows: a batch of deliveries to one subscription reads it once, and a
 * change (disabled, deleted, a new URL or secret) still reaches the next attempts within 5 s.
 * A missing subscription is remembered as well; a failed read is not.
 */
export function cachedSubscriptions(
  store: Pick<SubscriptionStore, "getSubscription">,
  clock: Clock,
  ttlMs = SUBSCRIPTION_CACHE_MS,
): SubscriptionLookup {
  const entries = new Map<string, { until: number; value: Promise<Subscription | null> }>();
  return (appId, id) => {
    const key = `${appId}/${id}`;
    const now = clock.now().getTime();
    const cached = entries.get(key);
    if (cached && cached.until > now) return cached.value;
    entries.delete(key);
    if (entries.size >= MAX_ENTRIES) evict(entries, now);
    // The promise is kept, so deliveries of one batch that ask at once share one read.
    const entry = { until: now + ttlMs, value: store.getSubscription(appId, id) };
    entries.set(key, entry);
    entry.value.catch(() => {
      if (entries.get(key) === entry) entries.delete(key);
    });
    return entry.value;
  };
}

/** Drops expired entries, and the oldest one if none has expired: the cache stays bounded. */
function evict(entries: Map<string, { until: number }>, now: number) {
  for (const [key, entry] of entries) if (entry.until <= now) entries.delete(key);
  if (entries.size < MAX_ENTRIES) return;
  const oldest = entries.keys().next().value;
  if (oldest !== undefined) entries.delete(oldest);
}
