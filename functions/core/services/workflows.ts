import type { Clock } from "../clock.ts";
import { BadRequest, Conflict, NotFound } from "../errors.ts";
import { parseEventPattern } from "../event-pattern.ts";
import { deliveryId, isId, newId } from "../ids.ts";
import { type JsonValue, nestsDeeperThan } from "../json.ts";
import { LIMITS } from "../limits.ts";
import type { Attempt, HttpAction, PageRequest, RoutedEvent, Workflow } from "../model.ts";
import { checkedHeaders } from "../outbound-headers.ts";
import type {
  DefinitionStore,
  DeliveryStore,
  SecretVault,
  SubscriptionHealthStore,
  WebhookSender,
  WorkflowStore,
} from "../ports.ts";
import {
  type CreateWorkflowBody,
  createWorkflowBody,
  type PatchWorkflowBody,
  patchWorkflowBody,
  testWorkflowBody,
} from "../schemas.ts";
import { signingSecrets } from "../secrets.ts";
import { attemptHeaders } from "../sign.ts";
import { checkTemplate } from "../templates.ts";
import { parseInput } from "../validation.ts";
import {
  RenderError,
  renderAction,
  requestView,
  runView,
  templateContext,
  workflowRuns,
} from "../workflow-runs.ts";
import {
  newSecret,
  rewrite,
  rotateSecret,
  type SignedRecords,
  sealedSecrets,
  shownSecret,
  withoutSecrets,
} from "./signed-records.ts";

export interface WorkflowDeps {
  store: WorkflowStore & DefinitionStore & DeliveryStore & SubscriptionHealthStore;
  clock: Clock;
  /** Checks a URL against the deployment's policy and answers it normalized, or throws a 400. */
  checkUrl: (url: string) => Promise<string>;
  /** Seals secrets before they are stored and opens them for the secret route. */
  vault: SecretVault;
  /** Sends a test run's request (`"send": true`), under the deliverer's address policy. */
  sender: WebhookSender;
  userAgent: string;
}

/** A test run's linked account unless it names one (SPEC §2.4). */
const TEST_ACCOUNT = "test";

/** What an action sends when it names no body: the event's payload as it came. */
const PAYLOAD_BODY = "{{payload}}";

/** A workflow as lists and GET show it: never with its secrets (nor its write version). */
export const workflowView = (workflow: Workflow) => withoutSecrets(workflow);

const workflows = (deps: WorkflowDeps): SignedRecords<Workflow> => ({
  label: (id) => `workflow "${id}"`,
  mustExist: (appId, id) => mustExist(deps.store, appId, id),
  replace: (appId, workflow) => deps.store.replaceWorkflow(appId, workflow),
});

export async function createWorkflow(deps: WorkflowDeps, appId: string, input: unknown) {
  const body: CreateWorkflowBody = parseInput(createWorkflowBody, input);
  const filter = body.filter === undefined ? null : parseEventPattern(body.filter);
  const action = await checkedAction(deps, body.action);
  await checkEvent(deps.store, appId, body.event);
  const now = deps.clock.now();
  const { secret, sealed } = await newSecret(deps.vault, deps.clock);
  const workflow: Workflow = {
    id: newId("workflow", now.getTime()),
    name: body.name,
    description: body.description ?? null,
    event: body.event,
    enabled: body.enabled ?? true,
    linked_account_ids: body.linked_account_ids ? unique(body.linked_account_ids) : null,
    filter: filter as Workflow["filter"],
    action,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    secrets: [sealed],
  };
  await deps.store.createWorkflow(appId, workflow);
  return { ...workflowView(workflow), secret };
}

/**
 * One workflow, with `paused_until` while its action's receiver is paused (SPEC §3): its runs'
 * deliveries are held as a failing subscription's are.
 */
export async function getWorkflow(deps: WorkflowDeps, appId: string, id: string) {
  const [workflow, health] = await Promise.all([
    mustExist(deps.store, appId, id),
    isId("workflow", id) ? deps.store.getHealth(appId, id) : null,
  ]);
  return { ...workflowView(workflow), paused_until: health?.paused_until ?? null };
}

export async function listWorkflows(deps: WorkflowDeps, appId: string, page: PageRequest) {
  const result = await deps.store.listWorkflows(appId, page);
  return { data: result.data.map(workflowView), next_cursor: result.next_cursor };
}

export async function patchWorkflow(deps: WorkflowDeps, appId: string, id: string, input: unknown) {
  const body: PatchWorkflowBody = parseInput(patchWorkflowBody, input);
  const filter = body.filter ? parseEventPattern(body.filter) : body.filter;
  const first = await mustExist(deps.store, appId, id);
  if (body.event !== undefined) await checkEvent(deps.store, appId, body.event);
  // The action as patched from the stored one is checked whole (a method changed to GET with a
  // body left from POST is a 400); a later race that changed the action keeps this patch's.
  const action = body.action && (await checkedAction(deps, { ...first.action, ...body.action }));
  const updated = await rewrite(workflows(deps), appId, first, async (current) => ({
    ...current,
    ...(body.name !== undefined && { name: body.name }),
    ...(body.description !== undefined && { description: body.description }),
    ...(body.event !== undefined && { event: body.event }),
    ...(body.enabled !== undefined && { enabled: body.enabled }),
    ...(body.linked_account_ids !== undefined && {
      linked_account_ids: body.linked_account_ids && unique(body.linked_account_ids),
    }),
    ...(filter !== undefined && { filter: filter as Workflow["filter"] }),
    ...(action && { action }),
    secrets: await sealedSecrets(deps.vault, current),
    updated_at: deps.clock.now().toISOString(),
  }));
  return workflowView(updated);
}

export async function deleteWorkflow(deps: WorkflowDeps, appId: string, id: string) {
  if (!isId("workflow", id) || !(await deps.store.deleteWorkflow(appId, id))) throw notFound(id);
  // Its health record has no one left to describe.
  await deps.store.dropHealth(appId, id);
}

export const getWorkflowSecret = (deps: WorkflowDeps, appId: string, id: string) =>
  shownSecret(workflows(deps), deps.vault, appId, id);

/** A new secret signs from now on; the previous one keeps signing for 24 h beside it. */
export const rotateWorkflowSecret = (deps: WorkflowDeps, appId: string, id: string) =>
  rotateSecret(workflows(deps), deps, appId, id);

/**
 * Runs a page holds at most: each carries its request body (up to 256 KiB), and a Lambda's
 * answer must stay within 6 MB.
 */
const RUNS_PAGE_MAX = 20;

/** `GET /api/v2/workflows/{id}/runs`: newest first, each with its rendered request. */
export async function listWorkflowRuns(
  deps: WorkflowDeps,
  appId: string,
  id: string,
  page: PageRequest,
) {
  await mustExist(deps.store, appId, id); // 404 for a missing or foreign workflow
  const result = await deps.store.listDeliveriesWithBodies(
    appId,
    { workflow_id: id },
    { ...page, limit: Math.min(page.limit, RUNS_PAGE_MAX) },
  );
  return { data: result.data.map(runView), next_cursor: result.next_cursor };
}

/**
 * `POST /api/v2/workflows/{id}/test` (§2.4): renders the action for a test event as a live
 * event would be rendered — the definition's sample payload unless the body gives one — and
 * says whether scoping and filter would let it through. With `"send": true` it also sends the
 * request once, signed, and answers the attempt; nothing is stored, retried or emitted.
 */
export async function testWorkflow(deps: WorkflowDeps, appId: string, id: string, input: unknown) {
  const body = parseInput(testWorkflowBody, input ?? {});
  const workflow = await mustExist(deps.store, appId, id);
  const payload =
    body.payload ?? (await deps.store.getDefinition(appId, workflow.event))?.sample_payload ?? {};
  if (nestsDeeperThan(payload, LIMITS.payloadDepth)) {
    throw new BadRequest(`payload nests deeper than ${LIMITS.payloadDepth} levels`);
  }
  const now = deps.clock.now();
  const event: RoutedEvent = {
    v: 1,
    app_id: appId,
    event_id: newId("event", now.getTime()),
    type: workflow.event,
    platform: false,
    linked_account_id: body.linked_account_id ?? TEST_ACCOUNT,
    timestamp: now.toISOString(),
    payload,
  };
  // Whether it would run, enabled or not: a disabled workflow is tested before it is enabled.
  const matched = workflowRuns({ ...workflow, enabled: true }, event, payload);
  let rendered: { body: string; headers: Record<string, string> };
  try {
    rendered = renderAction(workflow, templateContext(event, payload));
  } catch (error) {
    if (error instanceof RenderError) throw new BadRequest(error.message);
    throw error;
  }
  const { method } = workflow.action;
  const request = requestView(method, workflow.action.url, rendered.headers, rendered.body);
  if (!body.send) return { matched, request };
  return { matched, request, attempt: await sendOnce(deps, workflow, event, rendered) };
}

/**
 * One signed request of a test run, as an attempt (SPEC §2.5). A URL the deployment's policy
 * refuses now is a 400 before anything is sent; a receiver that fails is a failed attempt.
 */
async function sendOnce(
  deps: WorkflowDeps,
  workflow: Workflow,
  event: RoutedEvent,
  rendered: { body: string; headers: Record<string, string> },
): Promise<Attempt> {
  const at = deps.clock.now();
  const url = await deps.checkUrl(workflow.action.url); // as at send time: the policy may have changed
  const secrets = await signingSecrets(deps.vault, workflow, at);
  if (secrets.length === 0) {
    throw new Conflict(
      `the secret of workflow "${workflow.id}" cannot be decrypted with this deployment's key: rotate it`,
    );
  }
  const headers = attemptHeaders({
    secretsNewestFirst: secrets,
    deliveryId: deliveryId(event.event_id, { type: "workflow", id: workflow.id }),
    at,
    body: rendered.body,
    eventType: event.type,
    attempt: 1,
    userAgent: deps.userAgent,
    own: rendered.headers,
  });
  const result = await deps.sender.send({
    url,
    method: workflow.action.method,
    headers,
    body: rendered.body,
  });
  return {
    attempt: 1,
    at: at.toISOString(),
    status_code: result.statusCode,
    duration_ms: Math.round(result.durationMs),
    response_body: result.responseBody,
    error: result.error,
  };
}

/**
 * The action as it is stored: method POST unless given, header names in lower case (HTTP's
 * are case-insensitive) and none of Switchyard's own, a body only for methods that send one,
 * templates whose placeholders all name something an event has, and a URL the deployment's
 * policy allows.
 */
async function checkedAction(
  deps: WorkflowDeps,
  action: Partial<Omit<HttpAction, "body">> & { body?: JsonValue | null | undefined },
): Promise<HttpAction> {
  const method = action.method ?? "POST";
  const sendsBody = method !== "GET" && method !== "DELETE";
  if (!sendsBody && action.body !== undefined && action.body !== null) {
    throw new BadRequest(`action.body: a ${method} request sends no body (set it to null)`);
  }
  const body = sendsBody ? (action.body ?? PAYLOAD_BODY) : null;
  if (nestsDeeperThan(body, LIMITS.payloadDepth)) {
    throw new BadRequest(`action.body nests deeper than ${LIMITS.payloadDepth} levels`);
  }
  checkTemplate(body, "action.body");
  const headers = checkedHeaders(action.headers ?? {}, "action.headers", checkTemplate);
  if (action.url === undefined) throw new BadRequest("action.url is required");
  return { type: "http", url: await deps.checkUrl(action.url), method, headers, body };
}

async function mustExist(store: WorkflowStore, appId: string, id: string) {
  const workflow = isId("workflow", id) ? await store.getWorkflow(appId, id) : null;
  if (!workflow) throw notFound(id);
  return workflow;
}

const notFound = (id: string) => new NotFound(`workflow "${id}" not found`);

/** A workflow runs on one of the app's own events, never on a platform event. */
async function checkEvent(store: DefinitionStore, appId: string, slug: string) {
  if ((await store.getDefinition(appId, slug)) === null) {
    throw new BadRequest(`event: no event with slug "${slug}"`);
  }
}

const unique = (values: string[]) => [...new Set(values)];
