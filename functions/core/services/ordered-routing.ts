import pLimit from "p-limit";
import type { Delivery, DeliveryMessage, RoutedEvent, Subscription } from "../model.ts";
import { subscriptionReceives, webhookDelivery } from "../routing.ts";
import { type FanOutDeps, WRITES_IN_FLIGHT, writeDelivery } from "./fan-out.ts";

/**
 * Thrown when routing in order stopped before any message was sent: nothing went out. The
 * deliveries it may have written (`written`) have no message, and are the caller's to take
 * back (see `withdrawDelivery`) if it undoes their event.
 */
export class NothingQueued extends Error {
  constructor(
    readonly written: Pick<Delivery, "app_id" | "id">[],
    options: { cause: unknown },
  ) {
    super("the events' ordered deliveries were not queued", options);
    this.name = "NothingQueued";
  }
}

/** Runs the send of a routing's messages in its turn; at once unless told otherwise. */
export type Turn = (send: () => Promise<void>) => Promise<void>;

/**
 * Routes events to their app's ordered subscriptions, in the order given, before they go on
 * the bus (SPEC §3.1). The bus and the fan-out's queue keep no order, so only the trigger,
 * which answers events one after another, can queue them in trigger order: it writes their
 * deliveries and queues them on the ordered lane's FIFO queue itself (each subscription's in
 * its own message group), and answers the events naming the subscriptions it routed them to
 * (`ordered_to`), which the fan-out then leaves out. An event no ordered subscription receives
 * comes back as it was, without a write or a send; the trigger reads the app's ordered
 * subscriptions through a cache (`cachedOrderedSubscriptions`).
 *
 * The writes run at once; only the send waits for `turn` (a batch's items send in their
 * order). A failure before the send throws `NothingQueued`; one of the send itself is thrown
 * as it is: some messages may have gone out.
 */
export async function routeOrdered(
  deps: FanOutDeps,
  events: RoutedEvent[],
  turn: Turn = (send) => send(),
): Promise<RoutedEvent[]> {
  const lookup = deps.subscriptions ?? ((app) => deps.store.allSubscriptions(app));
  const planned: Delivery[] = [];
  const messages: DeliveryMessage[] = [];
  let routed: RoutedEvent[];
  try {
    const plans = await Promise.all(
      events.map(async (event) => ({ event, deliveries: await deliveriesOf(lookup, event, deps) })),
    );
    for (const plan of plans) planned.push(...plan.deliveries);
    // Every write settles before the outcome is known, so none lands after a caller that
    // undoes the event has taken the written ones back.
    const limit = pLimit(WRITES_IN_FLIGHT);
    const written = await Promise.allSettled(
      planned.map((delivery) => limit(() => writeDelivery(deps.store, delivery))),
    );
    const queued = new Map<string, DeliveryMessage | null>();
    for (const [index, result] of written.entries()) {
      if (result.status === "rejected") throw result.reason;
      queued.set(planned[index]?.id ?? "", result.value);
    }
    routed = plans.map(({ event, deliveries }) => {
      // A delivery made earlier for the standard queue (before its subscription turned
      // ordered) is left out: the fan-out queues it again there. One that has been attempted
      // since has nothing to queue, and is nobody else's either.
      const ordered_to = deliveries
        .filter((delivery) => {
          const message = queued.get(delivery.id);
          return !message || message.group !== undefined;
        })
        .map((delivery) => delivery.target.id);
      return ordered_to.length > 0 ? { ...event, ordered_to } : event;
    });
    for (const message of queued.values()) {
      if (message?.group !== undefined) messages.push(message);
    }
  } catch (error) {
    throw new NothingQueued(planned, { cause: error });
  }
  // One call for them all, each group's messages in the events' order.
  await turn(async () => {
    if (messages.length > 0) await deps.queue.enqueue(messages);
  });
  return routed;
}

/** The event's new deliveries to its app's ordered subscriptions that receive it. */
async function deliveriesOf(
  lookup: (appId: string) => Promise<Subscription[]>,
  event: RoutedEvent,
  deps: FanOutDeps,
): Promise<Delivery[]> {
  const payload = event.payload;
  if (payload === undefined || event.replay_to !== undefined) return [];
  const now = deps.clock.now();
  return (await lookup(event.app_id))
    .filter(
      (subscription) =>
        subscription.ordered === true && subscriptionReceives(subscription, event, payload),
    )
    .map((subscription) => webhookDelivery(subscription, event, payload, now));
}
