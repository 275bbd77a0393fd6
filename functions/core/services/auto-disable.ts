import type { Clock } from "../clock.ts";
import { derivedId } from "../ids.ts";
import type { JsonObject } from "../json.ts";
import type { Delivery, DisabledReason, Subscription } from "../model.ts";
import type { EventPublisher, SubscriptionHealthStore, SubscriptionStore } from "../ports.ts";
import { webhookView } from "../subscription-view.ts";
import { platformEvent } from "./platform-notice.ts";

export interface AutoDisableDeps {
  store: SubscriptionStore & SubscriptionHealthStore;
  bus: EventPublisher;
  clock: Clock;
  /**
   * Hours of failing without a success after which a subscription is disabled at its next
   * dead letter (SPEC §3.1); never when 0 or absent.
   */
  disableAfterHours?: number;
}

/** A subscription this turn disabled, for the log. */
export interface Disabled {
  subscription_id: string;
  reason: DisabledReason;
}

/** Rewrites lost to other writes before giving up (the turn fails and its message comes back). */
const REWRITES = 3;

/**
 * Disables the delivery's subscription for `reason` (SPEC §3.1) unless it is disabled already,
 * and tells subscribers with `webhook.disabled` — also when an earlier turn of this delivery
 * disabled it and stopped before telling: the notice's id is derived from the disable (the
 * delivery and its time), so the fan-out delivers it once. Answers what this turn disabled, or
 * null. A delivery of a platform event never emits another platform event, so it disables
 * without telling.
 */
export async function disableSubscription(
  deps: AutoDisableDeps,
  delivery: Delivery,
  reason: DisabledReason,
  failingSince: string | null,
): Promise<Disabled | null> {
  const { app_id: appId, target } = delivery;
  for (let rewrite = 0; rewrite < REWRITES; rewrite++) {
    const current = await deps.store.getSubscription(appId, target.id, true);
    if (!current) return null;
    if (!current.enabled) {
      if (current.disabled_by === delivery.id) await tell(deps, delivery, current);
      return null;
    }
    const at = deps.clock.now().toISOString();
    const disabled: Subscription = {
      ...current,
      enabled: false,
      disabled_reason: reason,
      failing_since: failingSince,
      disabled_by: delivery.id,
      disabled_at: at,
      updated_at: at,
    };
    if (await deps.store.replaceSubscription(appId, disabled)) {
      await tell(deps, delivery, disabled);
      return { subscription_id: target.id, reason };
    }
  }
  throw new Error(`subscription ${target.id} kept changing while it was being disabled`);
}

/**
 * Tells subscribers again that this delivery's attempt disabled its subscription, when it is
 * still disabled by it (read consistently: a cache may not have seen it enabled again since):
 * the turn that disabled it may have stopped before telling. Never disables anything.
 */
export async function retellDisabled(deps: AutoDisableDeps, delivery: Delivery): Promise<void> {
  const current = await deps.store.getSubscription(delivery.app_id, delivery.target.id, true);
  if (current && !current.enabled && current.disabled_by === delivery.id) {
    await tell(deps, delivery, current);
  }
}

/**
 * At a delivery's dead letter: a subscription whose attempts have all failed for
 * `disableAfterHours` or more (its health record's `failing_since`) is disabled (`failing`).
 * Reads the record only then: the success path pays nothing for the streak.
 */
export async function disableIfFailingTooLong(
  deps: AutoDisableDeps,
  delivery: Delivery,
): Promise<Disabled | null> {
  const hours = deps.disableAfterHours ?? 0;
  if (delivery.target.type !== "webhook" || hours <= 0) return null;
  const { failing_since: since } = await deps.store.getHealth(delivery.app_id, delivery.target.id);
  if (since === null) return null;
  const failingMs = deps.clock.now().getTime() - Date.parse(since);
  if (failingMs < hours * 3_600_000) return null;
  return disableSubscription(deps, delivery, "failing", since);
}

async function tell(deps: AutoDisableDeps, delivery: Delivery, subscription: Subscription) {
  if (delivery.platform) return;
  // Timed when it was disabled (which no later write of the subscription changes), so a
  // notice told again is the same notice.
  const at = new Date(subscription.disabled_at ?? subscription.updated_at);
  await deps.bus.publish([
    platformEvent(
      delivery.app_id,
      "webhook.disabled",
      webhookView(subscription) as unknown as JsonObject,
      { now: () => at },
      {
        eventId: derivedId("event", at.getTime(), `${subscription.id}:disabled:${delivery.id}`),
      },
    ),
  ]);
}
