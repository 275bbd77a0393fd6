import type { RoutedEvent } from "../model.ts";
import { subscriptionReceives, webhookDelivery } from "../routing.ts";
import { deliveriesFor, type FanOutDeps } from "./fan-out.ts";

/**
 * Routes events to their app's ordered subscriptions, in the order given, before they go on
 * the bus (SPEC §3.1). The bus and the fan-out's queue keep no order, so only the trigger,
 * which answers events one after another, can queue them in trigger order: it writes their
 * deliveries and queues them on the ordered lane's FIFO queue itself (each subscription's in
 * its own message group), and answers the events naming the subscriptions it routed them to
 * (`ordered_to`), which the fan-out then leaves out. An event no ordered subscription receives
 * comes back as it was, without a write or a send; the app's subscriptions are read through
 * the same kind of cache the fan-out reads them through.
 */
export async function routeOrdered(
  deps: FanOutDeps,
  events: RoutedEvent[],
): Promise<RoutedEvent[]> {
  const lookup = deps.subscriptions ?? ((app) => deps.store.allSubscriptions(app));
  const routed = await Promise.all(
    events.map(async (event) => {
      const payload = event.payload;
      if (payload === undefined || event.replay_to !== undefined) return { event, messages: [] };
      const ordered = (await lookup(event.app_id)).filter(
        (subscription) =>
          subscription.ordered === true && subscriptionReceives(subscription, event, payload),
      );
      if (ordered.length === 0) return { event, messages: [] };
      const messages = await deliveriesFor(deps, event, async (_event, _payload, now) =>
        ordered.map((subscription) => webhookDelivery(subscription, event, payload, now)),
      );
      const ids = ordered.map((subscription) => subscription.id);
      return { event: { ...event, ordered_to: ids }, messages };
    }),
  );
  // One call for them all, each group's messages in the events' order.
  const messages = routed.flatMap((each) => each.messages);
  if (messages.length > 0) await deps.queue.enqueue(messages);
  return routed.map((each) => each.event);
}
