import { randomUUID } from "node:crypto";
import { type DeliveryStatusReason, hasEnded } from "../delivery-status.ts";
import type { Attempt, Delivery, DeliveryMessage, SigningSecret } from "../model.ts";
import type {
  DeliveryQueue,
  DeliveryStore,
  OutboundRequest,
  SecretVault,
  SendResult,
  SubscriptionHealthStore,
  SubscriptionStore,
  WebhookSender,
  WorkflowStore,
} from "../ports.ts";
import { retryAfterSeconds } from "../retry-after.ts";
import { decideAfterFailure, hideSecondsUntil, type RetryPolicy } from "../retry-policy.ts";
import { signingSecrets } from "../secrets.ts";
import { attemptHeaders } from "../sign.ts";
import { holdLimit, type Lane } from "../subscription-health.ts";
import {
  type AutoDisableDeps,
  type Disabled,
  disableIfFailingTooLong,
  disableSubscription,
  retellDisabled,
} from "./auto-disable.ts";
import { type DeadLetterDeps, deadLetter } from "./dead-letter.ts";
import { type PacingDeps, waitForSlot } from "./pacing.ts";
import {
  countAttempt,
  type HealthChange,
  markSlow,
  type PausingDeps,
  passGate,
  type SlowMark,
} from "./pausing.ts";
import type { SubscriptionLookup } from "./subscription-cache.ts";
import { workflowNotice } from "./workflow-notice.ts";
import type { WorkflowLookup } from "./workflow-runner.ts";

export interface DeliverDeps extends DeadLetterDeps, PausingDeps, AutoDisableDeps, PacingDeps {
  store: DeliveryStore & SubscriptionStore & SubscriptionHealthStore & WorkflowStore;
  queue: DeliveryQueue;
  sender: WebhookSender;
  /** Opens the subscription's sealed signing secrets. */
  vault: SecretVault;
  retry: RetryPolicy;
  userAgent: string;
  random?: () => number;
  /** Reads a subscription as it is now; the store when not given (the handler caches it). */
  subscriptions?: SubscriptionLookup;
  /** Reads a workflow as it is now; the store when not given (the handler caches it). */
  workflows?: WorkflowLookup;
  /** Reads a delivery; the store when not given (the handler reads a batch's together). */
  deliveries?: (appId: string, id: string) => Promise<Delivery | null>;
}

/**
 * The queue message being handled: its id (stable across receives), this receipt, and the lane
 * whose queue it came from (its visibility can only be changed there).
 */
export interface Receipt {
  messageId: string;
  receiptHandle: string;
  lane: Lane;
}

/**
 * What one turn of a delivery came to. `held` and `retrying` hid the message until its next
 * turn, so it must be kept; after any other outcome it may be deleted.
 */
export type DeliverOutcome =
  /** A duplicate message, or a copy another message carries: nothing done. */
  | { kind: "skipped" }
  /**
   * Hidden again without a request: back before its attempt is due (`backoff`), its
   * subscription is paused or being probed (`paused`), or its rate limit's next slot for it
   * is more than 2 s away (`rate_limited`).
   */
  | { kind: "held"; reason: "backoff" | "paused" | "rate_limited"; until: Date }
  /** Its subscription is failing, paused or slow: forwarded to the slow lane, without a request. */
  | { kind: "diverted" }
  | ({ kind: "succeeded"; attempt: Attempt; url: string } & HealthEffects)
  | ({
      kind: "retrying";
      attempt: Attempt;
      url: string;
      delaySeconds: number;
    } & HealthEffects)
  | ({
      kind: "dead_lettered";
      reason: DeliveryStatusReason;
      attempt: Attempt | null;
      /** The subscription this turn disabled (SPEC §3.1), if any. */
      disabled?: Disabled | null;
    } & HealthEffects)
  | { kind: "discarded" };

/** What an attempt did to its subscription's health, for the log. */
interface HealthEffects {
  health?: HealthChange | null;
  slow?: SlowMark | null;
}

/** Whether the queue message must stay in the queue: it was hidden until its next turn. */
export function keepsMessage(outcome: DeliverOutcome): boolean {
  return outcome.kind === "held" || outcome.kind === "retrying";
}

/**
 * One turn of one delivery (SPEC §3): sign, send to the subscription's URL as it is now,
 * record the attempt; on failure hide the message for the backoff, and after the last retry
 * dead-letter it. Attempts are counted in the store, not by SQS's receive count, which
 * throttling also raises. A message back before its attempt is due is hidden again; a delivery
 * whose subscription is disabled is dead-lettered and one whose subscription is gone is
 * discarded, both without a request and without spending an attempt.
 */
export async function deliver(
  deps: DeliverDeps,
  message: DeliveryMessage,
  receipt: Receipt,
): Promise<DeliverOutcome> {
  const read = deps.deliveries ?? ((appId, id) => deps.store.getDelivery(appId, id));
  const first = await read(message.app_id, message.delivery_id);
  // A forwarded message carries the delivery under its ticket's token, a retry's message under
  // its own, and either may take it over from the message before it.
  const carrier = message.slow_lane?.carrier ?? message.retry?.carrier ?? receipt.messageId;
  const delivery = first && message.retry ? await reopenedForRetry(deps, first, message) : first;
  if (!delivery || hasEnded(delivery.status)) {
    // The message that recorded a workflow's success comes back only when its turn failed
    // after the record: perhaps before its report was published, so it publishes it again.
    if (delivery?.status === "succeeded" && delivery.owner_message_id === carrier) {
      await reportCompletedRun(deps, delivery);
    }
    return { kind: "skipped" }; // a duplicate message of a delivery that has ended
  }
  const { lane } = receipt;
  const owner = delivery.owner_message_id;
  if (owner && owner !== carrier && owner !== message.slow_lane?.from) {
    return { kind: "skipped" }; // another copy of the message carries this delivery and its backoff
  }
  const failures = delivery.attempt_count - delivery.round_started_at_attempt;
  if (
    delivery.target.type === "webhook" &&
    delivery.status === "failed" &&
    delivery.last_attempt?.status_code === 410
  ) {
    // Its 410 was recorded, but the turn stopped before the subscription was disabled: finish.
    const disabled = await deadLetterGone(deps, message, delivery);
    const reason = "subscription_disabled";
    return { kind: "dead_lettered", reason, attempt: delivery.last_attempt, disabled };
  }
  if (failures > deps.retry.maxRetries) {
    // The last attempt was recorded but dead-lettering did not finish: finish it.
    const disabled = await disableIfFailingTooLong(deps, delivery);
    await deadLetterMessage(deps, message, delivery, "retries_exhausted");
    return {
      kind: "dead_lettered",
      reason: "retries_exhausted",
      attempt: delivery.last_attempt,
      disabled,
    };
  }
  const now = deps.clock.now();
  if (delivery.next_attempt_at && Date.parse(delivery.next_attempt_at) > now.getTime()) {
    // Back before its time: SQS could not hide it for the whole backoff in one go.
    const due = new Date(delivery.next_attempt_at);
    await deps.queue.delay(lane, receipt.receiptHandle, hideSecondsUntil(due, now));
    return { kind: "held", reason: "backoff", until: due };
  }
  const target = await currentTarget(deps, delivery);
  const isWorkflow = delivery.target.type === "workflow";
  if (!target) {
    // Nobody to deliver to, nothing to redrive to: given up, not dead-lettered.
    const at = now.toISOString();
    const reason = isWorkflow ? "workflow_deleted" : "subscription_deleted";
    await deps.store.setDeliveryStatus(delivery.app_id, delivery.id, "discarded", at, reason);
    return { kind: "discarded" };
  }
  if (!target.enabled) {
    // SPEC §3.1: dead-lettered at its turn without a request, to be redriven once enabled.
    const reason = isWorkflow ? "workflow_disabled" : "subscription_disabled";
    // This delivery's attempt disabled it, and its turn may have stopped before telling.
    if (target.disabled_by === delivery.id) await retellDisabled(deps, delivery);
    await deadLetterMessage(deps, message, delivery, reason);
    return { kind: "dead_lettered", reason, attempt: null };
  }
  const gate = await passGate(deps, delivery, lane);
  if (gate.kind === "divert") {
    // The new message takes the delivery over at its first attempt; this one may go.
    await deps.queue.forwardToSlowLane({
      v: 1,
      app_id: message.app_id,
      delivery_id: message.delivery_id,
      slow_lane: { carrier: randomUUID(), from: carrier },
    });
    return { kind: "diverted" };
  }
  if (gate.kind === "hold") {
    // SPEC §3: pausing may stretch a delivery's schedule, never make it endless. An ordered
    // delivery's schedule starts at its first turn, not while it waited behind its group's
    // earlier ones: from its last attempt, or from now if it has had none. Its attempts still
    // bound it: its group's only delivery in flight is the one that probes the receiver.
    const start = delivery.ordered
      ? (delivery.last_attempt?.at ?? now.toISOString())
      : delivery.created_at;
    const limit = holdLimit(new Date(start), deps.retry);
    if (now >= limit) {
      // A dead letter like any other: one failing for too long is disabled at it.
      const disabled = await disableIfFailingTooLong(deps, delivery);
      await deadLetterMessage(deps, message, delivery, "subscription_paused");
      return { kind: "dead_lettered", reason: "subscription_paused", attempt: null, disabled };
    }
    const until = gate.until < limit ? gate.until : limit;
    await deps.queue.delay(lane, receipt.receiptHandle, hideSecondsUntil(until, now));
    return { kind: "held", reason: "paused", until };
  }
  if (!isWorkflow && target.rate_limit) {
    const pacing = await waitForSlot(deps, delivery, target.rate_limit, gate.health, receipt);
    if (pacing.kind !== "go") return pacing;
  }
  const { attempt, slow } = await attemptOnce(deps, delivery, target, lane);
  const succeeded = attempt.error === null;
  const decision = succeeded ? null : decideAfterFailure(failures + 1, deps.retry, deps.random);
  const decidedAt = deps.clock.now();
  // A receiver's Retry-After stretches the backoff, never shortens it (SPEC §3.1).
  const waitSeconds =
    decision?.action === "retry" ? Math.max(decision.delaySeconds, attempt.retry_after ?? 0) : 0;
  const nextAttemptAt =
    decision?.action === "retry" ? new Date(decidedAt.getTime() + waitSeconds * 1000) : null;
  const recorded = await deps.store.recordAttempt(delivery.app_id, delivery.id, {
    attempt,
    status: succeeded ? "succeeded" : "failed",
    expectedAttemptCount: delivery.attempt_count,
    messageId: carrier,
    takesOverFrom: message.slow_lane?.from,
    url: target.url,
    nextAttemptAt: nextAttemptAt?.toISOString() ?? null,
  });
  // Not recorded: another copy recorded this attempt number first and carries on from there.
  if (!recorded) return { kind: "skipped" };
  if (succeeded) {
    await reportCompletedRun(deps, {
      ...delivery,
      status: "succeeded",
      attempt_count: attempt.attempt,
      last_attempt: attempt,
      updated_at: attempt.at,
    });
  }
  const health = await countAttempt(deps, delivery, gate, succeeded);
  if (succeeded) return { kind: "succeeded", attempt, url: target.url, health, slow };
  const ended = {
    ...delivery,
    url: target.url,
    attempt_count: attempt.attempt,
    last_attempt: attempt,
    updated_at: attempt.at,
  };
  if (attempt.status_code === 410 && !isWorkflow) {
    const disabled = await deadLetterGone(deps, message, ended);
    const reason = "subscription_disabled";
    return { kind: "dead_lettered", reason, attempt, health, slow, disabled };
  }
  if (nextAttemptAt) {
    await deps.queue.delay(lane, receipt.receiptHandle, hideSecondsUntil(nextAttemptAt, decidedAt));
    const delaySeconds = Math.round((nextAttemptAt.getTime() - decidedAt.getTime()) / 1000);
    return { kind: "retrying", attempt, url: target.url, delaySeconds, health, slow };
  }
  const disabled = await disableIfFailingTooLong(deps, delivery);
  await deadLetterMessage(deps, message, ended, "retries_exhausted");
  return { kind: "dead_lettered", reason: "retries_exhausted", attempt, health, slow, disabled };
}

/**
 * The delivery a retry's message carries: reopened by this message when the call that sent it
 * stopped before reopening it (it is still ended, with the status and attempt count the ticket
 * names), as that call would have; otherwise as it is.
 */
async function reopenedForRetry(
  deps: DeliverDeps,
  delivery: Delivery,
  message: DeliveryMessage,
): Promise<Delivery | null> {
  const ticket = message.retry;
  if (
    !ticket ||
    !hasEnded(delivery.status) ||
    delivery.status !== ticket.status ||
    delivery.attempt_count !== ticket.attempt_count
  ) {
    return delivery;
  }
  const at = deps.clock.now().toISOString();
  const from = { status: ticket.status, attemptCount: ticket.attempt_count };
  if (!(await deps.store.reopenDelivery(delivery.app_id, delivery.id, from, ticket.carrier, at))) {
    return deps.store.getDelivery(delivery.app_id, delivery.id); // the call reopened it first
  }
  return {
    ...delivery,
    status: "pending",
    status_reason: null,
    round_started_at_attempt: ticket.attempt_count,
    owner_message_id: ticket.carrier,
    next_attempt_at: null,
    updated_at: at,
  };
}

/** What a delivery goes to, as it is now: a webhook subscription or a workflow's action. */
interface CurrentTarget {
  url: string;
  enabled: boolean;
  secrets: SigningSecret[];
  /** A subscription's static headers (a workflow's rendered ones are in its run). */
  headers?: Record<string, string> | undefined;
  /** A subscription's requests a second at most (SPEC §3.1). */
  rate_limit?: number | null | undefined;
  /** A subscription Switchyard disabled: the delivery whose attempt did it. */
  disabled_by?: string | null | undefined;
}

/**
 * The delivery's subscription or workflow as it is now, read through `deps.subscriptions` or
 * `deps.workflows` (caches of at most 5 s in the handler). Null when it is gone.
 */
async function currentTarget(deps: DeliverDeps, delivery: Delivery): Promise<CurrentTarget | null> {
  const { app_id: appId, target } = delivery;
  if (target.type === "workflow") {
    const lookup = deps.workflows ?? ((app, id) => deps.store.getWorkflow(app, id));
    const workflow = await lookup(appId, target.id);
    return (
      workflow && { url: workflow.action.url, enabled: workflow.enabled, secrets: workflow.secrets }
    );
  }
  const lookup = deps.subscriptions ?? ((app, id) => deps.store.getSubscription(app, id));
  return lookup(appId, target.id);
}

/**
 * Publishes `workflow.completed` for a workflow's delivery that succeeded, once the success is
 * recorded, so only the copy whose attempt counted reports it. If the turn stops before the
 * report is out, its message comes back and reports again (see `deliver`), under the same id
 * (derived from the delivery), which the fan-out delivers once.
 */
async function reportCompletedRun(deps: DeliverDeps, delivery: Delivery) {
  const notice = workflowNotice(delivery, deps.clock, deps.environment);
  if (notice) await deps.bus.publish([notice]);
}

async function attemptOnce(
  deps: DeliverDeps,
  delivery: Delivery,
  target: CurrentTarget,
  lane: Lane,
): Promise<{ attempt: Attempt; slow: SlowMark | null }> {
  const number = delivery.attempt_count + 1;
  const at = deps.clock.now();
  const secrets = await signingSecrets(deps.vault, target, at);
  if (secrets.length === 0) {
    const error = `the ${delivery.target.type}'s signing secret cannot be decrypted`;
    return { attempt: failedWithoutRequest(number, at, error), slow: null };
  }
  const headers = attemptHeaders({
    secretsNewestFirst: secrets,
    deliveryId: delivery.id,
    at,
    body: delivery.body,
    eventType: delivery.event_type,
    attempt: number,
    userAgent: deps.userAgent,
    own: delivery.run?.headers ?? target.headers,
  });
  const request = { url: target.url, method: delivery.method, headers, body: delivery.body };
  // The ordered lane has no slow lane to send a slow receiver's deliveries to: no mark.
  const { result, slow } =
    lane === "ordered"
      ? { result: await deps.sender.send(request), slow: null }
      : await sendWatchingForSlow(deps, delivery, request);
  const retryAfter = retryAfterSeconds(result.statusCode, result.retryAfter, deps.clock.now());
  const attempt: Attempt = {
    attempt: number,
    at: at.toISOString(),
    status_code: result.statusCode,
    duration_ms: Math.round(result.durationMs),
    response_body: result.responseBody,
    error: result.error,
    ...(retryAfter !== undefined && { retry_after: retryAfter }),
  };
  return { attempt, slow };
}

/**
 * Sends the request; one still unanswered after `deps.slowAfterMs` marks its subscription slow
 * while it waits (so the next deliveries take the slow lane, or stay there), and the mark is
 * awaited before the turn ends. A mark that fails is reported, never fails the attempt.
 */
async function sendWatchingForSlow(
  deps: DeliverDeps,
  delivery: Delivery,
  request: OutboundRequest,
): Promise<{ result: SendResult; slow: SlowMark | null }> {
  const sending = deps.sender.send(request);
  if (deps.slowAfterMs === undefined) {
    return { result: await sending, slow: null };
  }
  let marking: Promise<SlowMark | null> | undefined;
  const timer = setTimeout(() => {
    marking = markSlow(deps, delivery).catch((error: unknown) => ({
      subscription_id: delivery.target.id,
      error,
    }));
  }, deps.slowAfterMs);
  let result: SendResult;
  try {
    result = await sending;
  } finally {
    clearTimeout(timer);
  }
  return { result, slow: (await marking) ?? null };
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
 * A receiver answered 410 Gone: its subscription is disabled at once, and the delivery waits
 * in the DLQ for it to be enabled again, as any still queued for it will (SPEC §3.1).
 */
async function deadLetterGone(deps: DeliverDeps, message: DeliveryMessage, delivery: Delivery) {
  const disabled = await disableSubscription(deps, delivery, "gone", null);
  await deadLetterMessage(deps, message, delivery, "subscription_disabled");
  return disabled;
}

/**
 * Dead-letters the delivery and moves its message to the dead-letter queue, stamped with the
 * reason and the time: if the deliverer stops after the move and before marking the delivery,
 * the dead-letter consumer finishes the job from that copy (and the copy left in the delivery
 * queue finds it done).
 */
function deadLetterMessage(
  deps: DeliverDeps,
  message: DeliveryMessage,
  delivery: Delivery,
  reason: DeliveryStatusReason,
): Promise<void> {
  // The copy names the delivery; which lane carried it, and under which ticket, is over.
  const { slow_lane: _ticket, retry: _retry, ...named } = message;
  return deadLetter(deps, delivery, reason, (at) =>
    deps.queue.moveToDeadLetterQueue({ ...named, dead_letter: { reason, at } }),
  );
}
