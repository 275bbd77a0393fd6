import type { Subscription, SubscriptionHealth } from "./model.ts";

/**
 * A subscription as the API shows it (SPEC §2.3, §3.1) and `webhook.disabled` carries it:
 * never its secrets, write version or bookkeeping; `headers`, `disabled_reason` and
 * `failing_since` always, empty or null when none. With its health (GET), `failing_since`
 * also dates the failures in a row of an enabled one.
 */
export function webhookView(subscription: Subscription, health?: SubscriptionHealth) {
  const { secrets: _s, version: _v, disabled_by: _by, disabled_at: _at, ...view } = subscription;
  return {
    ...view,
    headers: subscription.headers ?? {},
    rate_limit: subscription.rate_limit ?? null,
    ordered: subscription.ordered ?? false,
    disabled_reason: subscription.disabled_reason ?? null,
    failing_since:
      subscription.failing_since ?? (subscription.enabled ? health?.failing_since : null) ?? null,
  };
}
