import { queueFor } from "../adapters/deployment/queue.ts";
import { storeFor } from "../adapters/deployment/store.ts";
import { busQueueConsumer } from "../bus-queue-consumer.ts";
import { config } from "../config.ts";
import { systemClock } from "../core/clock.ts";
import { type FanOutDeps, fanOutAll } from "../core/services/fan-out.ts";
import { cachedSubscriptionLists } from "../core/services/subscription-cache.ts";
import { type Telemetry, telemetryFor } from "../telemetry.ts";

/**
 * The consumer of the fan-out rule's queue: each event is routed to its subscriptions, and the
 * batch's delivery messages are queued together (see `fanOutAll`); a failed event comes back
 * from the queue (`busQueueConsumer`).
 */
export function createFanOutHandler(
  deps: FanOutDeps,
  telemetry: Telemetry = telemetryFor("fanout"),
) {
  const routing: FanOutDeps = {
    ...deps,
    subscriptions: deps.subscriptions ?? cachedSubscriptionLists(deps.store, deps.clock),
  };
  return busQueueConsumer(telemetry, (events) => fanOutAll(routing, events));
}

const settings = config();
export const handler = createFanOutHandler({
  store: storeFor(settings),
  queue: queueFor(settings),
  clock: systemClock,
});
