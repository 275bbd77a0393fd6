import middy from "@middy/core";
import { busFor } from "../adapters/deployment/bus.ts";
import { lazyQueueFor } from "../adapters/deployment/lazy-queue.ts";
import { storeFor } from "../adapters/deployment/store.ts";
import { config } from "../config.ts";
import { systemClock } from "../core/clock.ts";
import { cachedDefinitions } from "../core/services/definition-cache.ts";
import { cachedOrderedSubscriptions } from "../core/services/subscription-cache.ts";
import { authenticate, errorResponses, jsonBody } from "../http/middleware.ts";
import { createRouter } from "../http/router.ts";
import { count, observed, requestIdOnLogs, type Telemetry, telemetryFor } from "../telemetry.ts";
import { TRIGGER_ROUTES, type TriggerHandlerDeps } from "./routes.ts";

export function createTriggerHandler(
  deps: TriggerHandlerDeps,
  telemetry: Telemetry = telemetryFor("trigger"),
) {
  const { logger } = telemetry;
  const withLog: TriggerHandlerDeps = {
    ...deps,
    // One container's triggers of an event read its definition once every 5 s at most.
    definitions: deps.definitions ?? cachedDefinitions(deps.store, deps.clock),
    // …and the app's ordered subscriptions (SPEC §3.1), an app's empty list too.
    subscriptions: deps.subscriptions ?? cachedOrderedSubscriptions(deps.store, deps.clock),
    onError: deps.onError ?? ((message, error) => logger.warn(message, { error })),
    onItemFault: deps.onItemFault ?? ((message, error) => logger.error(message, { error })),
  };
  return middy(createRouter(TRIGGER_ROUTES, withLog))
    .use(observed(telemetry))
    .use(requestIdOnLogs(logger))
    .use({
      after: async (request) => {
        if (request.response?.statusCode !== 200) return;
        type ItemAnswer = { event_id?: string; error?: { status_code: number } };
        const answer = JSON.parse(String(request.response.body)) as ItemAnswer & {
          data?: ItemAnswer[];
        };
        // A batch answers 200 with a result per item: only the accepted ones count, and the
        // ones that failed on a fault count apart (the request's own status cannot show them).
        const items = answer.data ?? [answer];
        const accepted = items.flatMap((item) => item.event_id ?? []);
        if (accepted.length > 0) count(telemetry, "EventsAccepted", accepted.length);
        const faults = items.filter((item) => (item.error?.status_code ?? 0) >= 500).length;
        if (faults > 0) count(telemetry, "BatchItemsFailed", faults);
        for (const event_id of accepted) logger.debug("event accepted", { event_id });
      },
    })
    .use(errorResponses((message, error) => logger.error(message, { error })))
    .use(authenticate(deps.store))
    .use(jsonBody());
}

const settings = config();
export const handler = createTriggerHandler({
  store: storeFor(settings),
  bus: busFor(settings),
  // Only a trigger with an ordered subscription to route to loads the SQS client.
  queue: lazyQueueFor(settings),
  clock: systemClock,
});
