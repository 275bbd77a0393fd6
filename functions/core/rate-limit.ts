import { MAX_HIDE_SECONDS } from "./retry-policy.ts";

/**
 * Rate limits (SPEC §3.1): at most `rate_limit` requests a second to a subscription, across
 * every deliverer. Each request takes a send slot from the subscription's health record, the
 * next free one: slots are `slotIntervalMs` apart, so the limit holds in every one-second
 * window, not only in whole seconds.
 */

/** The most requests a second a subscription may ask for: its slots share one partition key. */
export const MAX_RATE_LIMIT = 500;

/**
 * How far apart two requests' slots are: a tenth wider than `1/n` s, so that the jitter of
 * sending (signing, connecting) up to 100 ms never lets `n + 1` requests land in one second.
 */
export function slotIntervalMs(perSecond: number): number {
  return Math.ceil(1100 / perSecond);
}

/**
 * The longest a deliverer waits in-process for a slot. A later slot is kept on the delivery
 * and its message hidden until shortly before it, so a backlog neither holds invocations nor
 * wastes slots.
 */
export const MAX_SLOT_WAIT_MS = 2_000;

/**
 * How late a kept slot may still be used: a message back after its slot (an invocation that
 * started late) takes a new one, as a request sent late could land beside the next slot's.
 */
export const SLOT_LATENESS_MS = 50;

/**
 * How long to hide a message whose slot is `waitMs` away: whole seconds that bring it back
 * a second or two before its slot, at least 1, and never past what SQS allows in one go (a
 * slot further off than that is hidden again when the message comes back).
 */
export function hideSecondsBeforeSlot(waitMs: number): number {
  return Math.min(MAX_HIDE_SECONDS, Math.max(1, Math.floor(waitMs / 1000) - 1));
}
