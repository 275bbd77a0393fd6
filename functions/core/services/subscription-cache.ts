import type { Clock } from "../clock.ts";
import type { Subscription, SubscriptionHealth } from "../model.ts";
import type { SubscriptionHealthStore, SubscriptionStore } from "../ports.ts";

/** Reads one subscription as it is now (or null when it is gone). */
export type SubscriptionLookup = (appId: string, id: string) => Promise<Subscription | null>;

/** SPEC §2: a change to a subscription applies at most 5 s after it was answered. */
export const SUBSCRIPTION_CACHE_MS = 5_000;
const MAX_ENTRIES = 1_000;

/** A read-through cache of one kind of record per (app, subscription). */
interface ExpiringCache<T> {
  get(appId: string, id: string): Promise<T>;
  /** Keeps what this container has just written, so its next turns see it at once. */
  set(appId: string, id: string, value: T): void;
}

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
  const cache = expiringCache((appId, id) => store.getSubscription(appId, id), clock, ttlMs);
  return (appId, id) => cache.get(appId, id);
}

/**
 * Reads subscriptions' health records through the same kind of cache. A deliverer's own
 * writes (a failure counted, a pause, a resume) go in at once: another container's show
 * within 5 s.
 */
export function cachedHealth(
  store: Pick<SubscriptionHealthStore, "getHealth">,
  clock: Clock,
  ttlMs = SUBSCRIPTION_CACHE_MS,
): ExpiringCache<SubscriptionHealth> {
  return expiringCache((appId, id) => store.getHealth(appId, id), clock, ttlMs);
}

export type HealthLookup = ExpiringCache<SubscriptionHealth>;

function expiringCache<T>(
  read: (appId: string, id: string) => Promise<T>,
  clock: Clock,
  ttlMs: number,
): ExpiringCache<T> {
  const entries = new Map<string, { until: number; value: Promise<T> }>();
  const put = (key: string, value: Promise<T>, now: number) => {
    entries.delete(key);
    if (entries.size >= MAX_ENTRIES) evict(entries, now);
    const entry = { until: now + ttlMs, value };
    entries.set(key, entry);
    return entry;
  };
  return {
    get(appId, id) {
      const key = `${appId}/${id}`;
      const now = clock.now().getTime();
      const cached = entries.get(key);
      if (cached && cached.until > now) return cached.value;
      // The promise is kept, so deliveries of one batch that ask at once share one read.
      const entry = put(key, read(appId, id), now);
      entry.value.catch(() => {
        if (entries.get(key) === entry) entries.delete(key);
      });
      return entry.value;
    },
    set(appId, id, value) {
      put(`${appId}/${id}`, Promise.resolve(value), clock.now().getTime());
    },
  };
}

/** Drops expired entries, and the oldest one if none has expired: the cache stays bounded. */
function evict(entries: Map<string, { until: number }>, now: number) {
  for (const [key, entry] of entries) if (entry.until <= now) entries.delete(key);
  if (entries.size < MAX_ENTRIES) return;
  const oldest = entries.keys().next().value;
  if (oldest !== undefined) entries.delete(oldest);
}
