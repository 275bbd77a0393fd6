import middy from "@middy/core";
import { busFor, storeFor } from "../adapters/index.ts";
import { config } from "../config.ts";
import { systemClock } from "../core/clock.ts";
import { authenticate, errorResponses, jsonBody } from "../http/middleware.ts";
import { createRouter } from "../http/router.ts";
import { createLogger } from "../logger.ts";
import { TRIGGER_ROUTES, type TriggerHandlerDeps } from "./routes.ts";

export function createTriggerHandler(deps: TriggerHandlerDeps) {
  const logger = createLogger("trigger");
  const withLog: TriggerHandlerDeps = {
    ...deps,
    onError: deps.onError ?? ((message, error) => logger.warn(message, { error })),
  };
  return middy(createRouter(TRIGGER_ROUTES, withLog))
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
