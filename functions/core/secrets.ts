import type { SigningSecret, Subscription } from "./model.ts";

/** The secrets that still sign at `now`, newest first. */
export function liveSecrets(subscription: Subscription, now: Date): SigningSecret[] {
  return subscription.secrets.filter(
    (secret) => secret.expires_at === null || Date.parse(secret.expires_at) > now.getTime(),
  );
}
