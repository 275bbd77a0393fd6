import type { Clock } from "../clock.ts";

/**
 * SPEC §2: a change to an app's keys, a definition or a subscription applies at most 5 s after
 * it was answered. A function keeps what it read for 4 s: its reads are eventually consistent,
 * so what it read may be up to about a second older than the read itself.
 */
export const CONFIGURATION_CACHE_MS = 4_000;
const MAX_ENTRIES = 1_000;

/** A read-through cache of one kind of record per (app, id), in one container's memory. */
export interface ExpiringCache<T> {
  get(appId: string, id: string): Promise<T>;
  /** Keeps what this container has just written, so its next turns see it at once. */
  set(appId: string, id: string, value: T): void;
}

/**
 * Keeps each answer of `read` for `ttlMs` (at most 1,000 entries); an answer `keep` refuses
 * (a missing record that may be created any moment) and a failed read are not kept.
 */
export function expiringCache<T>(
  read: (appId: string, id: string) => Promise<T>,
  clock: Clock,
  ttlMs: number,
  keep: (value: T) => boolean = () => true,
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
      const forget = () => {
        if (entries.get(key) === entry) entries.delete(key);
      };
      entry.value.then((value) => keep(value) || forget(), forget);
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

/**
 * Reads an app's list of one kind of configuration (its subscriptions, its workflows) through
 * a per-container cache that keeps each list `ttlMs`: a burst of events reads the list once
 * instead of once per event (it is the app's configuration partition that every event would
 * read), and a change applies within SPEC §2's 5 s. An empty list is not kept unless
 * `keepEmpty`, so an app's first subscription sees the very next event.
 */
export function cachedAppLists<T>(
  read: (appId: string) => Promise<T[]>,
  clock: Clock,
  options: { ttlMs?: number; keepEmpty?: boolean } = {},
): (appId: string) => Promise<T[]> {
  const cache = expiringCache(
    (appId) => read(appId),
    clock,
    options.ttlMs ?? CONFIGURATION_CACHE_MS,
    (list) => options.keepEmpty === true || list.length > 0,
  );
  return (appId) => cache.get(appId, "*");
}
