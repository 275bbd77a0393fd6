import pLimit from "p-limit";
import type { Clock } from "../clock.ts";
import { messageFor } from "../delivery-messages.ts";
import type { JsonObject } from "../json.ts";
import type { Delivery, DeliveryMessage, RoutedEvent, Subscription } from "../model.ts";
import type { DeliveryQueue, DeliveryStore, EventStore, SubscriptionStore } from "../ports.ts";
import { subscriptionReceives, webhookDelivery } from "../routing.ts";
import type { SubscriptionListLookup } from "./subscription-cache.ts";

/** Deliveries one fan-out writes at once. */
export const WRITES_IN_FLIGHT = 16;

/** What writes and queues deliveries: the webhook fan-out and the workflow runner. */
export interface QueueingDeps {
  store: EventStore & DeliveryStore;
  queue: DeliveryQueue;
  clock: Clock;
}

export interface FanOutDeps extends QueueingDeps {
  store: SubscriptionStore & EventStore & DeliveryStore;
  /** How an app's subscriptions are read; straight from the store when absent. */
  subscriptions?: SubscriptionListLookup;
}

/**
 * An event's new deliveries, given its payload. Those not `pending` (a workflow run that
 * could not be rendered) are written but not queued.
 */
export type Router = (event: RoutedEvent, payload: JsonObject, now: Date) => Promise<Delivery[]>;

/** Messages one SendMessageBatch carries. */
const MESSAGES_PER_SEND = 10;

/** What became of one event of a batch: routed and queued, or the error that stopped it. */
export type FanOutOutcome = { queued: number } | { error: unknown };

/**
 * Routes a batch of events, each to every subscription that receives it (`queueRouted`) but
 * those the trigger routed it to in order (`ordered_to`), or to the one it is replayed to when
 * that one receives it. A replay's subscription is read from
 * the store, consistently, not from the cache: it may have been created or enabled a moment
 * ago, just for this.
 */
export function fanOutAll(deps: FanOutDeps, events: RoutedEvent[]): Promise<FanOutOutcome[]> {
  const lookup = deps.subscriptions ?? ((app) => deps.store.allSubscriptions(app));
  // A batch of replays to one subscription reads it once.
  const replayedTo = new Map<string, Promise<Subscription | null>>();
  const candidates = async (event: RoutedEvent) => {
    const id = event.replay_to;
    if (id === undefined) {
      const routedInOrder = new Set(event.ordered_to);
      return (await lookup(event.app_id)).filter((each) => !routedInOrder.has(each.id));
    }
    const key = `${event.app_id}#${id}`;
    let read = replayedTo.get(key);
    if (!read) {
      read = deps.store.getSubscription(event.app_id, id, true);
      replayedTo.set(key, read);
    }
    const subscription = await read;
    return subscription ? [subscription] : [];
  };
  return queueRouted(deps, events, async (event, payload, now) =>
    (await candidates(event))
      .filter((subscription) => subscriptionReceives(subscription, event, payload))
      .map((subscription) => webhookDelivery(subscription, event, payload, now, event.replay)),
  );
}

/**
 * Writes the deliveries `route` makes of each event of a batch — one record each, and one queue
 * message each that is pending. Delivery ids are derived from (event, target), so when the bus
 * retries an event after a failure, no second delivery is made; a delivery still pending is
 * queued again (delivery is at-least-once, receivers dedupe on `webhook-id`).
 *
 * The events' messages are queued together, ten a SendMessageBatch, so a batch of events with
 * one target each costs one SQS call, not one per event. An event fails alone: when its
 * deliveries could not be written, or when a send carrying one of its messages failed.
 */
export async function queueRouted(
  deps: QueueingDeps,
  events: RoutedEvent[],
  route: Router,
): Promise<FanOutOutcome[]> {
  const routed = await Promise.all(
    events.map((event) =>
      deliveriesFor(deps, event, route).then(
        (messages) => ({ messages }),
        (error: unknown) => ({ error }),
      ),
    ),
  );
  const pending = routed.flatMap((outcome, index) =>
    "messages" in outcome ? outcome.messages.map((message) => ({ index, message })) : [],
  );
  const failures = new Map<number, unknown>();
  const limit = pLimit(WRITES_IN_FLIGHT);
  await Promise.all(
    chunks(pending, MESSAGES_PER_SEND).map((chunk) =>
      limit(() =>
        deps.queue.enqueue(chunk.map(({ message }) => message)).catch((error: unknown) => {
          for (const { index } of chunk) failures.set(index, error);
        }),
      ),
    ),
  );
  return routed.map((outcome, index) => {
    if ("error" in outcome) return outcome;
    if (failures.has(index)) return { error: failures.get(index) };
    return { queued: outcome.messages.length };
  });
}

/**
 * Writes an event's deliveries; answers the messages that queue them: one for each pending
 * delivery, new or made earlier by a run that stopped before queueing it.
 */
async function deliveriesFor(
  deps: QueueingDeps,
  event: RoutedEvent,
  route: Router,
): Promise<DeliveryMessage[]> {
  const payload = event.payload ?? (await storedPayload(deps.store, event));
  const deliveries = await route(event, payload, deps.clock.now());
  // Each target's delivery is written independently: in parallel, but never more than
  // WRITES_IN_FLIGHT at once, so an app with thousands of subscriptions does not open
  // thousands of requests (and sockets) in one invocation.
  const limit = pLimit(WRITES_IN_FLIGHT);
  const queued = await Promise.all(
    deliveries.map((delivery) => limit(() => writeDelivery(deps.store, delivery))),
  ).catch((error: unknown) => {
    limit.clearQueue(); // the event comes back whole: writes not yet started need not run now
    throw error;
  });
  return queued.filter((message): message is DeliveryMessage => message !== null);
}

/**
 * Writes a new delivery; answers the message that queues it, or null when there is none to
 * queue: it is not pending (a run that could not be rendered), or it was made before and has
 * been attempted or ended since. One made before and still untouched (a run that stopped
 * before queueing it) is queued as it was made: on the queue it was made for, even if its
 * subscription has switched `ordered` since.
 */
export async function writeDelivery(
  store: DeliveryStore,
  delivery: Delivery,
): Promise<DeliveryMessage | null> {
  if (await store.createDelivery(delivery)) {
    return delivery.status === "pending" ? messageFor(delivery) : null;
  }
  const existing = await store.getDelivery(delivery.app_id, delivery.id);
  if (existing?.status !== "pending" || existing.attempt_count > 0) return null;
  return messageFor(existing);
}

function chunks<T>(items: T[], size: number): T[][] {
  const all: T[][] = [];
  for (let start = 0; start < items.length; start += size)
    all.push(items.slice(start, start + size));
  return all;
}

/** A payload too large for the bus travels by reference to the stored event. */
async function storedPayload(store: EventStore, event: RoutedEvent) {
  const stored = await store.getEvent(event.app_id, event.event_id);
  if (!stored) throw new Error(`event ${event.event_id} is not in the store`);
  return stored.payload;
}
