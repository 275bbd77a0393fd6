import type { Clock } from "../clock.ts";
import { deliveryView } from "../delivery-views.ts";
import { derivedId } from "../ids.ts";
import type { JsonObject } from "../json.ts";
import type { Attempt, Delivery, DeliveryMessage } from "../model.ts";
import type {
  DeliveryQueue,
  DeliveryStore,
  EventPublisher,
  SecretVault,
  SubscriptionStore,
  WebhookSender,
} from "../ports.ts";
import { decideAfterFailure, type RetryPolicy } from "../retry-policy.ts";
import { signingSecrets } from "../secrets.ts";
import { signatureHeaders } from "../sign.ts";
import { platformEvent } from "./platform-notice.ts";

export interface DeliverDeps {
  store: DeliveryStore & SubscriptionStore;
  queue: DeliveryQueue;
  bus: EventPublisher;
  sender: WebhookSender;
  clock: Clock;
  /** Opens the subscription's sealed signing secrets. */
  vault: SecretVault;
  retry: RetryPolicy;
  userAgent: string;
  random?: () => number;
}

/** The queue message being handled: its id (stable across receives) and this receipt. */
export interface Receipt {
  messageId: string;
  receiptHandle: string;
}

/** `done`: the message may be deleted. `retry`: it was hidden for the backoff; keep it. */
export type DeliverOutcome = "done" | "retry";

/**
 * One attempt of one delivery (SPEC §3): sign, send, record the attempt; on failure hide the
 * message for the backoff, and after the last retry move it to the dead-letter queue. Attempts
 * are counted in the store, not by SQS's receive count, which throttling also raises.
 */
export async function deliver(
  deps: DeliverDeps,
  message: DeliveryMessage,
  receipt: Receipt,
): Promise<DeliverOutcome> {
  const delivery = await deps.store.getDelivery(message.app_id, message.delivery_id);
  if (!delivery || delivery.status === "succeeded" || delivery.status === "dead_lettered") {
    return "done"; // a duplicate message of a delivery that has ended
  }
  if (delivery.owner_message_id && delivery.owner_message_id !== receipt.messageId) {
    return "done"; // another copy of the message carries this delivery and its backoff
  }
  const failures = delivery.attempt_count - delivery.round_started_at_attempt;
  if (failures > deps.retry.maxRetries) {
    // The last attempt was recorded but dead-lettering did not finish: finish it.
    await deadLetter(deps, message, delivery);
    return "done";
  }
  const attempt = await attemptOnce(deps, delivery);
  const succeeded = attempt.error === null;
  const recorded = await deps.store.recordAttempt(delivery.app_id, delivery.id, {
    attempt,
    status: succeeded ? "succeeded" : "failed",
    expectedAttemptCount: delivery.attempt_count,
    messageId: receipt.messageId,
  });
  // Not recorded: another copy recorded this attempt number first and carries on from there.
  if (!recorded || succeeded) return "done";
  const decision = decideAfterFailure(failures + 1, deps.retry, deps.random);
  if (decision.action === "retry") {
    await deps.queue.delay(receipt.receiptHandle, decision.delaySeconds);
    return "retry";
  }
  await deadLetter(deps, message, {
    ...delivery,
    attempt_count: attempt.attempt,
    last_attempt: attempt,
  });
  return "done";
}

async function attemptOnce(deps: DeliverDeps, delivery: Delivery): Promise<Attempt> {
  const number = delivery.attempt_count + 1;
  const at = deps.clock.now();
  const subscription = await deps.store.getSubscription(delivery.app_id, delivery.target.id);
  if (!subscription) {
    return failedWithoutRequest(number, at, "the webhook subscription no longer exists");
  }
  const secrets = await signingSecrets(deps.vault, subscription, at);
  if (secrets.length === 0) {
    return failedWithoutRequest(number, at, "the webhook's signing secret cannot be decrypted");
  }
  const headers = {
    "content-type": "application/json",
    "user-agent": deps.userAgent,
    ...signatureHeaders(secrets, delivery.id, Math.floor(at.getTime() / 1000), delivery.body),
    "x-switchyard-event": delivery.event_type,
    "x-switchyard-attempt": String(number),
  };
  const result = await deps.sender.send({
    url: delivery.url,
    method: delivery.method,
    headers,
    body: delivery.body,
  });
  return {
    attempt: number,
    at: at.toISOString(),
    status_code: result.statusCode,
    duration_ms: Math.round(result.durationMs),
    response_body: result.responseBody,
    error: result.error,
  };
}

function failedWithoutRequest(attempt: number, at: Date, error: string): Attempt {
  return {
    attempt,
    at: at.toISOString(),
    status_code: null,
    duration_ms: 0,
    response_body: null,
    error,
  };
}

/**
 * Tells subscribers, moves the message to the dead-letter queue, then marks the delivery — in
 * that order, so a failure part-way leaves the delivery not yet `dead_lettered` and the next
 * receive does it all again: the notice has an id derived from the delivery, so the fan-out
 * makes no second delivery of it. A delivery of a platform event never emits another.
 */
async function deadLetter(deps: DeliverDeps, message: DeliveryMessage, delivery: Delivery) {
  const now = deps.clock.now().toISOString();
  if (!delivery.platform) {
    const data = deliveryView({ ...delivery, status: "dead_lettered", updated_at: now });
    const eventTime = Date.parse(delivery.last_attempt?.at ?? delivery.created_at);
    await deps.bus.publish([
      platformEvent(
        delivery.app_id,
        "delivery.dead_lettered",
        data as unknown as JsonObject,
        deps.clock,
        {
          linkedAccountId: delivery.linked_account_id,
          eventId: derivedId(
            "event",
            eventTime,
            `${delivery.id}:dead_lettered:${delivery.attempt_count}`,
          ),
        },
      ),
    ]);
  }
  await deps.queue.moveToDeadLetterQueue(message);
  await deps.store.setDeliveryStatus(delivery.app_id, delivery.id, "dead_lettered", now);
}
