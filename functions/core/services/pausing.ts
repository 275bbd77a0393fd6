import type { Clock } from "../clock.ts";
import type { Delivery, SubscriptionHealth } from "../model.ts";
import type { SubscriptionHealthStore } from "../ports.ts";
import type { RetryPolicy } from "../retry-policy.ts";
import {
  FAILURES_TO_PAUSE,
  HEALTHY,
  type Lane,
  pauseSeconds,
  pauseState,
  SLOW_MARK_MS,
  takesSlowLane,
} from "../subscription-health.ts";
import type { HealthLookup } from "./subscription-cache.ts";

export interface PausingDeps {
  store: SubscriptionHealthStore;
  clock: Clock;
  retry: RetryPolicy;
  /** How long a probe may take before another delivery may probe: the attempt's timeout and more. */
  probeLeaseMs: number;
  /**
   * How long a main-lane request may go unanswered before its subscription is marked slow;
   * never marked when not given.
   */
  slowAfterMs?: number;
  /** Reads health records; the store when not given (the handler caches them). */
  health?: HealthLookup;
  random?: () => number;
}

/**
 * Whether a delivery may go out now (and whether it is the probe), must wait, or must move to
 * the slow lane first.
 */
export type Gate =
  | { kind: "open"; health: SubscriptionHealth; probeLease: string | null }
  | { kind: "hold"; until: Date }
  | { kind: "divert" };

/** How an attempt changed its subscription's state, for the log. */
export type HealthChange =
  | { subscription_id: string; change: "paused"; until: string }
  | { subscription_id: string; change: "resumed" };

/**
 * Before an attempt: in the main lane, a failing, paused or slow subscription's delivery is
 * diverted to the slow lane. Otherwise an active subscription lets the delivery go; a paused
 * one holds it until the pause ends (with a little jitter, so held deliveries do not all come
 * back at once); once the pause is over, the first delivery to claim the probe goes out and the
 * others wait while it runs. Reads the health record through the cache: no write, unless this
 * delivery probes.
 */
export async function passGate(deps: PausingDeps, delivery: Delivery, lane: Lane): Promise<Gate> {
  const subscriptionId = delivery.target.id;
  const health = await healthOf(deps, delivery.app_id, subscriptionId);
  const now = deps.clock.now();
  if (lane === "main" && takesSlowLane(health, now)) return { kind: "divert" };
  const state = pauseState(health, now);
  if (state.kind === "active") return { kind: "open", health, probeLease: null };
  if (state.kind === "paused" || state.kind === "probing") {
    return { kind: "hold", until: withJitter(deps, state.until, now) };
  }
  const lease = new Date(now.getTime() + deps.probeLeaseMs).toISOString();
  const pausedUntil = health.paused_until ?? "";
  if (
    await deps.store.claimProbe(
      delivery.app_id,
      subscriptionId,
      pausedUntil,
      lease,
      now.toISOString(),
    )
  ) {
    return { kind: "open", health, probeLease: lease };
  }
  // Another delivery probes: wait for it, and let this container's next turns know.
  deps.health?.set(delivery.app_id, subscriptionId, { ...health, probe_until: lease });
  return { kind: "hold", until: withJitter(deps, new Date(lease), now) };
}

/**
 * After an attempt that went out: a success of a subscription that had failed resumes it
 * (a healthy one's success writes nothing); a failure counts one more in a row, pausing the
 * subscription at the fifth, and a failed probe pauses it again for twice as long.
 */
export async function countAttempt(
  deps: PausingDeps,
  delivery: Delivery,
  gate: Extract<Gate, { kind: "open" }>,
  succeeded: boolean,
): Promise<HealthChange | null> {
  const appId = delivery.app_id;
  const subscriptionId = delivery.target.id;
  const { health, probeLease } = gate;
  const now = deps.clock.now();
  if (succeeded) {
    if (health.failures === 0 && health.paused_until === null) return null;
    await deps.store.resume(appId, subscriptionId);
    deps.health?.set(appId, subscriptionId, HEALTHY);
    return health.paused_until === null
      ? null
      : { subscription_id: subscriptionId, change: "resumed" };
  }
  if (probeLease !== null) {
    const pauses = health.pauses + 1;
    const until = pauseEnd(deps, now, pauses);
    await deps.store.failProbe(appId, subscriptionId, probeLease, until, now.toISOString());
    deps.health?.set(appId, subscriptionId, {
      ...health,
      failures: health.failures + 1,
      paused_until: until,
      pauses,
      probe_until: null,
    });
    return { subscription_id: subscriptionId, change: "paused", until };
  }
  const after = await deps.store.recordFailure(appId, subscriptionId, now.toISOString());
  if (after.failures < FAILURES_TO_PAUSE || after.paused_until !== null) {
    deps.health?.set(appId, subscriptionId, after);
    return null;
  }
  const until = pauseEnd(deps, now, 1);
  const paused = await deps.store.pause(appId, subscriptionId, until);
  // Not paused by this one: another deliverer paused it first; the cache learns it on reload.
  deps.health?.set(
    appId,
    subscriptionId,
    paused ? { ...after, paused_until: until, pauses: 1 } : after,
  );
  return paused ? { subscription_id: subscriptionId, change: "paused", until } : null;
}

/** A subscription this attempt marked slow, or the error that kept it from being marked. */
export type SlowMark =
  | { subscription_id: string; until: string }
  | { subscription_id: string; error: unknown };

/**
 * A request is still unanswered after a second: marks its subscription slow for a minute (one
 * conditional write, by the first deliverer to notice), so its next deliveries take the slow
 * lane instead of holding main-lane invocations until they time out. This container learns it
 * at once; others within their cache's 5 s. A subscription that fails or is paused, or whose
 * mark is live, is in the slow lane already: nothing is written, so a receiver that stays slow
 * has its mark renewed from the slow lane at most once a minute.
 */
export async function markSlow(deps: PausingDeps, delivery: Delivery): Promise<SlowMark | null> {
  const appId = delivery.app_id;
  const subscriptionId = delivery.target.id;
  const now = deps.clock.now();
  const until = new Date(now.getTime() + SLOW_MARK_MS).toISOString();
  const health = await healthOf(deps, appId, subscriptionId);
  if (takesSlowLane(health, now)) return null; // known already: nothing to write
  const marked = await deps.store.markSlow(appId, subscriptionId, until, now.toISOString());
  // Not marked by this one: another deliverer's live mark ends about as late, or the record
  // has failures this cache has not seen; either way the slow lane is right. Only the mark is
  // merged into what the cache holds now, which a pause may have changed meanwhile.
  const current = await healthOf(deps, appId, subscriptionId);
  deps.health?.set(appId, subscriptionId, { ...current, slow_until: until });
  return marked ? { subscription_id: subscriptionId, until } : null;
}

function healthOf(deps: PausingDeps, appId: string, subscriptionId: string) {
  return deps.health
    ? deps.health.get(appId, subscriptionId)
    : deps.store.getHealth(appId, subscriptionId);
}

function pauseEnd(deps: PausingDeps, now: Date, pauses: number): string {
  return new Date(now.getTime() + pauseSeconds(pauses, deps.retry) * 1000).toISOString();
}

/** Up to 10 % of the wait later (between 1 and 5 s), so held deliveries come back spread out. */
function withJitter(deps: PausingDeps, until: Date, now: Date): Date {
  const spread = Math.min(5_000, Math.max(1_000, (until.getTime() - now.getTime()) / 10));
  return new Date(until.getTime() + Math.floor((deps.random ?? Math.random)() * spread));
}
