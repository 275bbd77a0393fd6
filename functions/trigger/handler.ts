import middy from "@middy/core";
import { busFor, storeFor } from "../adapters/index.ts";
import { config } from "../config.ts";
import { systemClock } from "../core/clock.ts";
import type { AppStore } from "../core/ports.ts";
import { type TriggerDeps, triggerEvent } from "../core/services/trigger-event.ts";
import { json } from "../http/api-types.ts";
import { authenticate, errorResponses, jsonBody } from "../http/middleware.ts";
import { createRouter, type RouteRequest } from "../http/router.ts";
import { createLogger } from "../logger.ts";

const SUCCESS_MESSAGE = "Webhook Fired Success";

/** The trigger API (SPEC §2.1): `POST /api/v2/public/event[/{slug}]`. */
export function createTriggerHandler(deps: TriggerDeps & { store: AppStore }) {
  const logger = createLogger("trigger");
  const trigger = async (request: RouteRequest) => {
    const { event_id } = await triggerEvent(deps, {
      appId: request.appId,
      slug: request.params.slug,
      linkedAccountId: request.headers.linked_account_id,
      idempotencyKey: request.headers["idempotency-key"],
      body: request.body,
    });
    return json(200, { message: SUCCESS_MESSAGE, event_id, request_id: request.requestId });
  };
  const route = createRouter([
    { method: "POST", path: "/api/v2/public/event/{slug}", handle: trigger },
    { method: "POST", path: "/api/v2/public/event", handle: trigger },
  ]);
  return middy(route)
    .use(errorResponses((message, error) => logger.error(message, { error })))
    .use(authenticate(deps.store))
    .use(jsonBody());
}

const settings = config();
export const handler = createTriggerHandler({
  store: storeFor(settings),
  bus: busFor(settings),
  clock: systemClock,
});
