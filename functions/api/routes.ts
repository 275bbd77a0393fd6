import type { Store } from "../core/ports.ts";
import type { DefinitionDeps } from "../core/services/definitions.ts";
import type { RecoveryDeps } from "../core/services/recovery.ts";
import type { WebhookDeps } from "../core/services/webhooks.ts";
import type { WorkflowDeps } from "../core/services/workflows.ts";
import { json, noContent } from "../http/api-types.ts";
import type { Route, RouteRequest } from "../http/router.ts";

export type ApiDeps = DefinitionDeps & WebhookDeps & WorkflowDeps & RecoveryDeps & { store: Store };

// Each group of routes loads its service (and the schemas it validates with) at the first
// request it answers: a cold start pays only for the routes it serves.
const definitions = () => import("../core/services/definitions.ts");
const webhooks = () => import("../core/services/webhooks.ts");
const deliveries = () => import("../core/services/delivery-queries.ts");
const workflows = () => import("../core/services/workflows.ts");
const recovery = () => import("../core/services/recovery.ts");
const replays = () => import("../core/services/replay.ts");
const inputs = async () => {
  const [{ parseInput }, { listQuery, rotateSecretBody }] = await Promise.all([
    import("../core/validation.ts"),
    import("../core/schemas.ts"),
  ]);
  return { parseInput, listQuery, rotateSecretBody };
};

const page = async (request: RouteRequest) => {
  const { parseInput, listQuery } = await inputs();
  return parseInput(listQuery, request.query, "query");
};
const ok = (body: unknown) => json(200, body);

/** The management API (SPEC §2.2–§2.5): every route, each a call into the core. */
export const API_ROUTES: readonly Route<ApiDeps>[] = [
  { method: "GET", path: "/health", handle: async () => ok({ status: "ok" }) },
  // Event definitions (§2.2)
  {
    method: "POST",
    path: "/api/v2/events",
    handle: async (deps, r) =>
      json(201, await (await definitions()).createDefinition(deps, r.appId, r.body)),
  },
  {
    method: "GET",
    path: "/api/v2/events",
    handle: async (deps, r) =>
      ok(await (await definitions()).listDefinitions(deps, r.appId, await page(r))),
  },
  {
    method: "GET",
    path: "/api/v2/events/{slug}",
    handle: async (deps, r) =>
      ok(await (await definitions()).getDefinition(deps, r.appId, param(r, "slug"))),
  },
  {
    method: "PATCH",
    path: "/api/v2/events/{slug}",
    handle: async (deps, r) =>
      ok(await (await definitions()).patchDefinition(deps, r.appId, param(r, "slug"), r.body)),
  },
  {
    method: "DELETE",
    path: "/api/v2/events/{slug}",
    handle: async (deps, r) => {
      await (await definitions()).deleteDefinition(deps, r.appId, param(r, "slug"));
      return noContent();
    },
  },
  // Webhook subscriptions (§2.3)
  {
    method: "POST",
    path: "/api/v2/webhooks",
    handle: async (deps, r) =>
      json(201, await (await webhooks()).createWebhook(deps, r.appId, r.body)),
  },
  {
    method: "GET",
    path: "/api/v2/webhooks",
    handle: async (deps, r) =>
      ok(await (await webhooks()).listWebhooks(deps, r.appId, await page(r))),
  },
  {
    method: "GET",
    path: "/api/v2/webhooks/{id}",
    handle: async (deps, r) =>
      ok(await (await webhooks()).getWebhook(deps, r.appId, param(r, "id"))),
  },
  {
    method: "PATCH",
    path: "/api/v2/webhooks/{id}",
    handle: async (deps, r) =>
      ok(await (await webhooks()).patchWebhook(deps, r.appId, param(r, "id"), r.body)),
  },
  {
    method: "DELETE",
    path: "/api/v2/webhooks/{id}",
    handle: async (deps, r) => {
      await (await webhooks()).deleteWebhook(deps, r.appId, param(r, "id"));
      return noContent();
    },
  },
  {
    method: "GET",
    path: "/api/v2/webhooks/{id}/secret",
    handle: async (deps, r) =>
      ok(await (await webhooks()).getWebhookSecret(deps, r.appId, param(r, "id"))),
  },
  {
    method: "POST",
    path: "/api/v2/webhooks/{id}/rotate-secret",
    handle: async (deps, r) => {
      const { parseInput, rotateSecretBody } = await inputs();
      parseInput(rotateSecretBody, r.body ?? {});
      return ok(await (await webhooks()).rotateWebhookSecret(deps, r.appId, param(r, "id")));
    },
  },
  {
    method: "GET",
    path: "/api/v2/webhooks/{id}/deliveries",
    handle: async (deps, r) => {
      const id = param(r, "id");
      await (await webhooks()).getWebhook(deps, r.appId, id); // 404 for a missing or foreign webhook
      return ok(await (await deliveries()).listWebhookDeliveries(deps.store, r.appId, id, r.query));
    },
  },
  // Workflows (§2.4)
  {
    method: "POST",
    path: "/api/v2/workflows",
    handle: async (deps, r) =>
      json(201, await (await workflows()).createWorkflow(deps, r.appId, r.body)),
  },
  {
    method: "GET",
    path: "/api/v2/workflows",
    handle: async (deps, r) =>
      ok(await (await workflows()).listWorkflows(deps, r.appId, await page(r))),
  },
  {
    method: "GET",
    path: "/api/v2/workflows/{id}",
    handle: async (deps, r) =>
      ok(await (await workflows()).getWorkflow(deps, r.appId, param(r, "id"))),
  },
  {
    method: "PATCH",
    path: "/api/v2/workflows/{id}",
    handle: async (deps, r) =>
      ok(await (await workflows()).patchWorkflow(deps, r.appId, param(r, "id"), r.body)),
  },
  {
    method: "DELETE",
    path: "/api/v2/workflows/{id}",
    handle: async (deps, r) => {
      await (await workflows()).deleteWorkflow(deps, r.appId, param(r, "id"));
      return noContent();
    },
  },
  {
    method: "GET",
    path: "/api/v2/workflows/{id}/secret",
    handle: async (deps, r) =>
      ok(await (await workflows()).getWorkflowSecret(deps, r.appId, param(r, "id"))),
  },
  {
    method: "POST",
    path: "/api/v2/workflows/{id}/rotate-secret",
    handle: async (deps, r) => {
      const { parseInput, rotateSecretBody } = await inputs();
      parseInput(rotateSecretBody, r.body ?? {});
      return ok(await (await workflows()).rotateWorkflowSecret(deps, r.appId, param(r, "id")));
    },
  },
  {
    method: "GET",
    path: "/api/v2/workflows/{id}/runs",
    handle: async (deps, r) =>
      ok(await (await workflows()).listWorkflowRuns(deps, r.appId, param(r, "id"), await page(r))),
  },
  {
    method: "POST",
    path: "/api/v2/workflows/{id}/test",
    handle: async (deps, r) =>
      ok(await (await workflows()).testWorkflow(deps, r.appId, param(r, "id"), r.body)),
  },
  // Deliveries and dead letters (§2.5, read side)
  {
    method: "GET",
    path: "/api/v2/deliveries",
    handle: async (deps, r) =>
      ok(await (await deliveries()).listDeliveries(deps.store, r.appId, r.query)),
  },
  {
    method: "GET",
    path: "/api/v2/deliveries/{id}",
    handle: async (deps, r) =>
      ok(await (await deliveries()).getDelivery(deps.store, r.appId, param(r, "id"))),
  },
  {
    method: "GET",
    path: "/api/v2/dlq",
    handle: async (deps, r) =>
      ok(await (await deliveries()).listDeadLetters(deps.store, r.appId, r.query)),
  },
  // Recovery (§2.5): send ended deliveries again, or take them out of the DLQ
  {
    method: "POST",
    path: "/api/v2/deliveries/{id}/retry",
    handle: async (deps, r) => {
      const { parseInput, rotateSecretBody: noFields } = await inputs();
      parseInput(noFields, r.body ?? {});
      return ok(await (await recovery()).retryDelivery(deps, r.appId, param(r, "id")));
    },
  },
  {
    method: "POST",
    path: "/api/v2/events/{event_id}/replay",
    handle: async (deps, r) => {
      const { parseInput, rotateSecretBody: noFields } = await inputs();
      parseInput(noFields, r.body ?? {});
      return ok(await (await replays()).replayEvent(deps, r.appId, param(r, "event_id")));
    },
  },
  {
    method: "POST",
    path: "/api/v2/webhooks/{id}/replay",
    handle: async (deps, r) =>
      ok(await (await replays()).replayToWebhook(deps, r.appId, param(r, "id"), r.body)),
  },
  {
    method: "POST",
    path: "/api/v2/dlq/redrive",
    handle: async (deps, r) =>
      ok(await (await recovery()).redriveDeadLetters(deps, r.appId, r.body)),
  },
  {
    method: "POST",
    path: "/api/v2/dlq/purge",
    handle: async (deps, r) => ok(await (await recovery()).purgeDeadLetters(deps, r.appId, r.body)),
  },
];

function param(request: RouteRequest, name: string): string {
  return request.params[name] ?? "";
}
