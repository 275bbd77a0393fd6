import type { Clock } from "../clock.ts";
import type { Subscription, SubscriptionHealth } from "../model.ts";
import type { SubscriptionHealthStore, SubscriptionStore } from "../ports.ts";
import { CONFIGURATION_CACHE_MS, type ExpiringCache, expiringCache } from "./expiring-cache.ts";

/** Reads every subscription of an app, as the fan-out routes by them. */
export type SubscriptionListLookup = (appId: string) => Promise<Subscription[]>;

/**
 * Reads an app's subscriptions through a per-container cache that keeps each list 4 s: a
 * burst of events reads the list once instead of once per event (it is the app's
 * configuration partition that every event would read), and a subscription created, changed
 * or deleted applies within SPEC §2's 5 s. An empty list is not kept, so an app's first
 * subscription receives the very next event.
 */
export function cachedSubscriptionLists(
  store: Pick<SubscriptionStore, "allSubscriptions">,
  clock: Clock,
  ttlMs = SUBSCRIPTION_CACHE_MS,
): SubscriptionListLookup {
  const cache = expiringCache(
    (appId) => store.allSubscriptions(appId),
    clock,
    ttlMs,
    (subscriptions) => subscriptions.length > 0,
  );
  return (appId) => cache.get(appId, "*");
}

/** Reads one subscription as it is now (or null when it is gone). */
export type SubscriptionLookup = (appId: string, id: string) => Promise<Subscription | null>;

/** SPEC §2: a change to a subscription applies at most 5 s after it was answered. */
export const SUBSCRIPTION_CACHE_MS = CONFIGURATION_CACHE_MS;

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
