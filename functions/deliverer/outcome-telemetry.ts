import type { DeliveryMessage } from "../core/model.ts";
import type { DeliverOutcome } from "../core/services/deliver.ts";
import type { HealthChange, SlowMark } from "../core/services/pausing.ts";
import { count, milliseconds, type Telemetry } from "../telemetry.ts";

/**
 * One log line and one metric per delivery outcome: succeeded, failed and retrying,
 * dead-lettered, discarded; and one when the attempt paused, resumed or marked slow its
 * subscription. The lines are INFO, so they show by default (locally too); a turn that sent
 * nothing (a duplicate, a message back early, a delivery held while its subscription is paused
 * or moved to the slow lane) logs at DEBUG.
 */
export function reportOutcome(
  telemetry: Telemetry,
  message: DeliveryMessage,
  outcome: DeliverOutcome,
): void {
  const { logger } = telemetry;
  const ids = { delivery_id: message.delivery_id, app_id: message.app_id };
  if ("attempt" in outcome && outcome.attempt) {
    milliseconds(telemetry, "AttemptDuration", outcome.attempt.duration_ms);
  }
  if ("health" in outcome && outcome.health) reportHealthChange(telemetry, outcome.health);
  if ("slow" in outcome && outcome.slow) reportSlowMark(telemetry, outcome.slow);
  switch (outcome.kind) {
    case "succeeded":
      count(telemetry, "DeliverySucceeded");
      logger.info("delivery succeeded", {
        ...ids,
        attempt: outcome.attempt.attempt,
        status_code: outcome.attempt.status_code,
        duration_ms: outcome.attempt.duration_ms,
        url: outcome.url,
      });
      return;
    case "retrying":
      count(telemetry, "DeliveryRetried");
      logger.info("delivery failed, retrying", {
        ...ids,
        attempt: outcome.attempt.attempt,
        error: outcome.attempt.error,
        retry_in_seconds: outcome.delaySeconds,
        url: outcome.url,
      });
      return;
    case "dead_lettered":
      if (outcome.disabled) {
        count(telemetry, "SubscriptionDisabled");
        logger.warn(
          outcome.disabled.reason === "gone"
            ? "subscription disabled: its receiver answered 410 Gone"
            : "subscription disabled: its receiver has failed for too long",
          { ...ids, subscription_id: outcome.disabled.subscription_id },
        );
      }
      count(telemetry, "DeliveryDeadLettered");
      logger.info("delivery dead-lettered", {
        ...ids,
        reason: outcome.reason,
        attempts: outcome.attempt?.attempt ?? null,
        error: outcome.attempt?.error ?? null,
      });
      return;
    case "discarded":
      count(telemetry, "DeliveryDiscarded");
      logger.info("delivery discarded: its subscription was deleted", ids);
      return;
    case "diverted":
      count(telemetry, "DeliveryDiverted");
      logger.debug("delivery moved to the slow lane: its subscription is failing or slow", ids);
      return;
    case "held":
      if (outcome.reason === "paused") count(telemetry, "DeliveryHeld");
      logger.debug(HELD[outcome.reason], { ...ids, until: outcome.until.toISOString() });
      return;
    default:
      logger.debug(`delivery ${outcome.kind}`, ids);
  }
}

function reportHealthChange(telemetry: Telemetry, health: HealthChange): void {
  if (health.change === "paused") {
    count(telemetry, "SubscriptionPaused");
    telemetry.logger.info("subscription paused: its receiver keeps failing", {
      subscription_id: health.subscription_id,
      paused_until: health.until,
    });
  } else {
    telemetry.logger.info("subscription resumed: its receiver answered", {
      subscription_id: health.subscription_id,
    });
  }
}

function reportSlowMark(telemetry: Telemetry, mark: SlowMark): void {
  if ("error" in mark) {
    telemetry.logger.warn("could not mark a slow subscription; its failures will divert it", {
      subscription_id: mark.subscription_id,
      error: mark.error,
    });
    return;
  }
  count(telemetry, "SubscriptionSlow");
  telemetry.logger.info("subscription slow: its deliveries take the slow lane", {
    subscription_id: mark.subscription_id,
    slow_until: mark.until,
  });
}

const HELD = {
  paused: "delivery held: its subscription is paused",
  backoff: "delivery held: its next attempt is not due yet",
  rate_limited: "delivery held: its subscription's rate limit gave it a later slot",
} as const;
