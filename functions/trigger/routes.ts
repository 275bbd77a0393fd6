import type { AppStore } from "../core/ports.ts";
import { triggerBatch } from "../core/services/trigger-batch.ts";
import { type TriggerDeps, triggerEvent } from "../core/services/trigger-event.ts";
import { json } from "../http/api-types.ts";
import { TRIGGER_PATHS } from "../http/paths.ts";
import type { Route, RouteRequest } from "../http/router.ts";

/** Cobalt's answer to a fired event, kept word for word. */
const SUCCESS_MESSAGE = "Webhook Fired Success";

export type TriggerHandlerDeps = TriggerDeps & { store: AppStore };

async function trigger(deps: TriggerHandlerDeps, request: RouteRequest) {
  const { event_id } = await triggerEvent(deps, {
    appId: request.appId,
    slug: request.params.slug,
    linkedAccountId: request.headers.linked_account_id,
    idempotencyKey: request.headers["idempotency-key"],
    body: request.body,
  });
  return json(200, { message: SUCCESS_MESSAGE, event_id, request_id: request.requestId });
}

async function batch(deps: TriggerHandlerDeps, request: RouteRequest) {
  const data = await triggerBatch(deps, {
    appId: request.appId,
    linkedAccountId: request.headers.linked_account_id,
    idempotencyKey: request.headers["idempotency-key"],
    body: request.body,
  });
  return json(200, { data, request_id: request.requestId });
}

const BATCH_PATH: (typeof TRIGGER_PATHS)[number] = "/api/v2/public/events/batch";

/**
 * The trigger API (SPEC §2.1): one event, with the event in the path or in the body alone; or
 * up to 100 in a batch.
 */
export const TRIGGER_ROUTES: readonly Route<TriggerHandlerDeps>[] = TRIGGER_PATHS.map((path) => ({
  method: "POST",
  path,
  handle: path === BATCH_PATH ? batch : trigger,
}));
