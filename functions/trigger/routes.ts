import type { AppStore } from "../core/ports.ts";
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

/** The trigger API (SPEC §2.1): with the event in the path, or in the body alone. */
export const TRIGGER_ROUTES: readonly Route<TriggerHandlerDeps>[] = TRIGGER_PATHS.map((path) => ({
  method: "POST",
  path,
  handle: trigger,
}));
