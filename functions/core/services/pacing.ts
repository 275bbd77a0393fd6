import type { Clock } from "../clock.ts";
import type { Delivery, SubscriptionHealth } from "../model.ts";
import type { DeliveryQueue, DeliveryStore, SubscriptionHealthStore } from "../ports.ts";
import {
  hideSecondsBeforeSlot,
  MAX_SLOT_WAIT_MS,
  SLOT_LATENESS_MS,
  slotIntervalMs,
} from "../rate-limit.ts";
import type { Lane } from "../subscription-health.ts";

export interface PacingDeps {
  store: SubscriptionHealthStore & DeliveryStore;
  queue: DeliveryQueue;
  clock: Clock;
  /** Waits in-process for a near slot; a timer when not given. */
  sleep?: (ms: number) => Promise<void>;
}

/** Where the delivery's message came from, to hide it there. */
interface Carrier {
  lane: Lane;
  receiptHandle: string;
}

export type Pacing =
  /** The slot has come: send now. */
  | { kind: "go" }
  /** Its slot is more than 2 s away: kept on the delivery, the message hidden until near it. */
  | { kind: "held"; reason: "rate_limited"; until: Date }
  /** An attempt was made since this message read the delivery: another copy carries it. */
  | { kind: "skipped" };

/**
 * A rate-limited subscription's delivery waits for its send slot (SPEC §3.1) without
 * spending an attempt: a slot it kept is used when its message is back in time for it,
 * otherwise it takes the next free one. A slot within 2 s is waited for here; a later one is
 * kept on the delivery and its message hidden until shortly before it. A delivery that wakes
 * more than 50 ms after its slot (a busy machine) does not send on it, which could land beside
 * the next slot's request: it takes another, or after a few such misses waits a second in the
 * queue. Costs a write unit a slot (two when a stale guess of idle or busy missed), and one
 * more to keep a far slot.
 */
export async function waitForSlot(
  deps: PacingDeps,
  delivery: Delivery,
  perSecond: number,
  health: SubscriptionHealth,
  carrier: Carrier,
): Promise<Pacing> {
  const { app_id: appId, target } = delivery;
  let kept = delivery.rate_slot;
  for (let tries = 0; tries < LATE_WAKES; tries++) {
    const now = deps.clock.now().getTime();
    let slot: number;
    if (kept !== undefined && kept >= now - SLOT_LATENESS_MS) {
      slot = kept;
    } else {
      const interval = slotIntervalMs(perSecond);
      const key = `${appId}#${target.id}`;
      const idle = (lastSlots.get(key) ?? health.next_send_at ?? 0) <= now;
      slot = await deps.store.takeSendSlot(appId, target.id, now, interval, idle);
      // This container's next take of the subscription likely finds slots given out up to
      // the one after this: its guess of idle or busy, no more (the health cache stays).
      remember(key, slot + interval);
    }
    const wait = slot - now;
    if (wait > MAX_SLOT_WAIT_MS) {
      if (slot !== kept) {
        const keptNow = await deps.store.keepSendSlot(
          appId,
          delivery.id,
          slot,
          kept,
          delivery.attempt_count,
        );
        if (!keptNow) return { kind: "skipped" };
      }
      await deps.queue.delay(carrier.lane, carrier.receiptHandle, hideSecondsBeforeSlot(wait));
      return { kind: "held", reason: "rate_limited", until: new Date(slot) };
    }
    if (wait > 0) await (deps.sleep ?? timer)(wait);
    if (deps.clock.now().getTime() - slot <= SLOT_LATENESS_MS) return { kind: "go" };
    kept = undefined; // woken too late for it: this slot is lost, not used
  }
  const until = new Date(deps.clock.now().getTime() + 1_000);
  await deps.queue.delay(carrier.lane, carrier.receiptHandle, 1);
  return { kind: "held", reason: "rate_limited", until };
}

/** Slots a delivery may miss by waking late before it waits in the queue instead. */
const LATE_WAKES = 3;

const timer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Per subscription, the next free slot this container last saw: a guess, never a limit. */
const lastSlots = new Map<string, number>();
const REMEMBERED = 1_000;

function remember(key: string, next: number) {
  lastSlots.delete(key);
  lastSlots.set(key, next);
  // The oldest guesses go first: a Map iterates in insertion order.
  for (const old of lastSlots.keys()) {
    if (lastSlots.size <= REMEMBERED) break;
    lastSlots.delete(old);
  }
}
