import middy from "@middy/core";
import { busFor, storeFor } from "../adapters/index.ts";
import { kmsVaultFor } from "../adapters/secrets/kms-vault.ts";
import { checkWebhookUrl } from "../adapters/url-guard.ts";
import { config } from "../config.ts";
import { systemClock } from "../core/clock.ts";
import { authenticate, errorResponses, jsonBody } from "../http/middleware.ts";
import { TRIGGER_PATHS } from "../http/paths.ts";
import { createRouter } from "../http/router.ts";
import { createLogger } from "../logger.ts";
import { API_ROUTES, type ApiDeps } from "./routes.ts";

/** The management API: definitions, webhooks, deliveries and the DLQ. */
export function createApiHandler(deps: ApiDeps) {
  const logger = createLogger("api");
  return middy(createRouter(API_ROUTES, deps, TRIGGER_PATHS))
    .use(errorResponses((message, error) => logger.error(message, { error })))
    .use(authenticate(deps.store, { publicPaths: ["/health"] }))
    .use(jsonBody());
}

const settings = config();
const logger = createLogger("api");
export const handler = createApiHandler({
  store: storeFor(settings),
  bus: busFor(settings),
  clock: systemClock,
  checkUrl: (url) => checkWebhookUrl(url, settings),
  vault: kmsVaultFor(settings),
  onNoticeError: (error) => logger.warn("platform event not published", { error }),
});
