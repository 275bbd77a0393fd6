import middy from "@middy/core";
import { lazyBusFor } from "../adapters/deployment/lazy-bus.ts";
import { lazyQueueFor } from "../adapters/deployment/lazy-queue.ts";
import { lazySenderFor } from "../adapters/deployment/lazy-sender.ts";
import { storeFor } from "../adapters/deployment/store.ts";
import { kmsVaultFor } from "../adapters/secrets/kms-vault.ts";
import { config } from "../config.ts";
import { systemClock } from "../core/clock.ts";
import { authenticate, errorResponses, jsonBody } from "../http/middleware.ts";
import { TRIGGER_PATHS } from "../http/paths.ts";
import { createRouter } from "../http/router.ts";
import { observed, requestIdOnLogs, type Telemetry, telemetryFor } from "../telemetry.ts";
import { USER_AGENT } from "../version.ts";
import { API_ROUTES, type ApiDeps } from "./routes.ts";

/** The management API: definitions, webhooks, workflows, deliveries and the DLQ. */
export function createApiHandler(deps: ApiDeps, telemetry: Telemetry = telemetryFor("api")) {
  const { logger } = telemetry;
  return middy(createRouter(API_ROUTES, deps, TRIGGER_PATHS))
    .use(observed(telemetry))
    .use(requestIdOnLogs(logger))
    .use(errorResponses((message, error) => logger.error(message, { error })))
    .use(authenticate(deps.store, { publicPaths: ["/health"] }))
    .use(jsonBody());
}

const settings = config();
const telemetry = telemetryFor("api");
export const handler = createApiHandler(
  {
    store: storeFor(settings),
    bus: lazyBusFor(settings),
    clock: systemClock,
    // Loaded by the first webhook written, as its service is (routes.ts).
    checkUrl: async (url) =>
      (await import("../adapters/url-guard.ts")).checkWebhookUrl(url, settings),
    vault: kmsVaultFor(settings),
    sender: lazySenderFor(settings),
    // Loaded by the first retry, redrive or purge.
    queue: lazyQueueFor(settings),
    userAgent: USER_AGENT,
    onNoticeError: (error) => telemetry.logger.warn("platform event not published", { error }),
  },
  telemetry,
);
