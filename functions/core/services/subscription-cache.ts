import type { Clock } from "../clock.ts";
import type { Subscription, SubscriptionHealth } from "../model.ts";
import type { SubscriptionHealthStore, SubscriptionStore, WorkflowStore } from "../ports.ts";
import {
  CONFIGURATION_CACHE_MS,
  cachedAppLists,
  type ExpiringCache,
  expiringCache,
} from "./expiring-cache.ts";
import type { WorkflowLookup } from "./workflow-runner.ts";

/** Reads every subscription of an app, as the fan-out routes by them. */
export type SubscriptionListLookup = (appId: string) => Promise<Subscription[]>;

/** Reads an app's subscriptions through a cache of at most 5 s (`cachedAppLists`). */
export function cachedSubscriptionLists(
  store: Pick<SubscriptionStore, "allSubscriptions">,
  clock: Clock,
  ttlMs = SUBSCRIPTION_CACHE_MS,
): SubscriptionListLookup {
  return cachedAppLists((appId) => store.allSubscriptions(appId), clock, { ttlMs });
}

/**
 * Reads an app's ordered subscriptions (SPEC §3.1), as the trigger routes by them, through a
 * cache that keeps each list at most 5 s — an empty one too, so an app without any costs a
 * read a container every 5 s, not one a trigger. One turned ordered meanwhile is routed by the
 * fan-out until the list is read again.
 */
export function cachedOrderedSubscriptions(
  store: Pick<SubscriptionStore, "allSubscriptions">,
  clock: Clock,
  ttlMs = SUBSCRIPTION_CACHE_MS,
): SubscriptionListLookup {
  const ordered = async (appId: string) =>
    (await store.allSubscriptions(appId)).filter((subscription) => subscription.ordered === true);
  return cachedAppLists(ordered, clock, { ttlMs, keepEmpty: true });
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

/** Reads workflows through the same kind of cache, as the deliverer sends by them. */
export function cachedWorkflows(
  store: Pick<WorkflowStore, "getWorkflow">,
  clock: Clock,
  ttlMs = SUBSCRIPTION_CACHE_MS,
): WorkflowLookup {
  const cache = expiringCache((appId, id) => store.getWorkflow(appId, id), clock, ttlMs);
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
