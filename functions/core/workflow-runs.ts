import { type EventPattern, matchesPattern } from "./event-pattern.ts";
import { deliveryId, derivedId, timeOf } from "./ids.ts";
import type { JsonObject, JsonValue } from "./json.ts";
import { LIMITS } from "./limits.ts";
import type { Delivery, DeliverySummary, RoutedEvent, Workflow } from "./model.ts";
import { SENDABLE_IN_HEADER } from "./outbound-headers.ts";
import { renderTemplate, type TemplateContext, TemplateError } from "./templates.ts";

/**
 * Whether a workflow runs for an event (SPEC §2.4): enabled, on the event's type, for its
 * linked account when it names accounts, and passing its content filter. Platform events run
 * no workflow: a workflow's own outcome must never run another.
 */
export function workflowRuns(workflow: Workflow, event: RoutedEvent, payload: JsonObject): boolean {
  if (event.platform || !workflow.enabled || workflow.event !== event.type) return false;
  const accounts = workflow.linked_account_ids;
  if (
    accounts &&
    (event.linked_account_id === null || !accounts.includes(event.linked_account_id))
  ) {
    return false;
  }
  return workflow.filter === null || matchesPattern(workflow.filter as EventPattern, payload);
}

/** What a workflow's templates read of one event. */
export function templateContext(event: RoutedEvent, payload: JsonObject): TemplateContext {
  return {
    payload,
    linked_account_id: event.linked_account_id,
    event_id: event.event_id,
    event: event.type,
    timestamp: event.timestamp,
  };
}

/**
 * A run's id: derived from its delivery's id alone (and timed as its event), so a rerun of the
 * event by the bus names the same run, and so does whoever handles the delivery.
 */
export function runId(delivery: Pick<Delivery, "id">): string {
  return derivedId("run", timeOf(delivery.id), delivery.id);
}

/**
 * The delivery that runs `workflow` for `event`: its action rendered for the event, pending.
 * A template that reads a path the event lacks, or renders what cannot be sent, gives a
 * delivery that is `discarded` at once (reason `render_failed`), carrying the error: the run
 * is ERRORED and nothing is sent.
 */
export function workflowDelivery(
  workflow: Workflow,
  event: RoutedEvent,
  payload: JsonObject,
  now: Date,
  replay = 0,
): Delivery {
  const target = { type: "workflow", id: workflow.id } as const;
  const id = deliveryId(event.event_id, target, replay);
  const base = {
    id,
    app_id: event.app_id,
    event_id: event.event_id,
    event_type: event.type,
    platform: false,
    linked_account_id: event.linked_account_id,
    target,
    url: workflow.action.url,
    method: workflow.action.method,
    attempt_count: 0,
    round_started_at_attempt: 0,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    last_attempt: null,
  };
  const run = { id: runId(base), workflow_name: workflow.name };
  try {
    const { body, headers } = renderAction(workflow, templateContext(event, payload));
    return { ...base, body, status: "pending", run: { ...run, headers, error: null } };
  } catch (error) {
    if (!(error instanceof RenderError)) throw error;
    return {
      ...base,
      body: "",
      status: "discarded",
      status_reason: "render_failed",
      run: { ...run, headers: {}, error: error.message },
    };
  }
}

/** The request could not be rendered: the run's error, in words. */
export class RenderError extends Error {}

/** The rendered body (JSON text; empty for GET and DELETE) and headers. */
export function renderAction(workflow: Workflow, context: TemplateContext) {
  const { action } = workflow;
  const body =
    action.body === null ? "" : JSON.stringify(render(action.body, context, "action.body"));
  if (Buffer.byteLength(body) > LIMITS.bodyBytes) {
    throw new RenderError(`action.body renders to more than ${LIMITS.bodyBytes / 1024} KiB`);
  }
  const headers: Record<string, string> = {};
  for (const [name, template] of Object.entries(action.headers)) {
    const where = `action.headers.${name}`;
    const value = asHeaderValue(render(template, context, where));
    if (!SENDABLE_IN_HEADER.test(value)) {
      throw new RenderError(
        `${where}: renders a character no HTTP header may hold (a line break, a control character or one beyond Latin-1)`,
      );
    }
    if (Buffer.byteLength(value) > LIMITS.headerValueBytes) {
      throw new RenderError(`${where}: renders more than ${LIMITS.headerValueBytes} bytes`);
    }
    headers[name] = value;
  }
  return { body, headers };
}

function render(template: JsonValue, context: TemplateContext, where: string): JsonValue {
  try {
    return renderTemplate(template, context, where);
  } catch (error) {
    if (error instanceof TemplateError) throw new RenderError(error.message);
    throw error;
  }
}

/** A header holds text: a string as it is, any other value as its JSON. */
const asHeaderValue = (value: JsonValue) =>
  typeof value === "string" ? value : JSON.stringify(value);

/** The statuses of a run (SPEC §2.4), from its delivery's. */
export function runStatus(delivery: Pick<Delivery, "status">) {
  switch (delivery.status) {
    case "succeeded":
      return "COMPLETED";
    case "dead_lettered":
    case "discarded":
      return "ERRORED";
    default:
      return "RUNNING";
  }
}

/** Why a run ended ERRORED, in words; null while it runs or after it completed. */
export function runError(delivery: DeliverySummary): string | null {
  if (runStatus(delivery) !== "ERRORED") return null;
  if (delivery.run?.error) return delivery.run.error;
  const last = delivery.last_attempt;
  // The attempt's error already says "HTTP 500" when the receiver answered one.
  const cause = last?.error ?? (last?.status_code ? `HTTP ${last.status_code}` : null);
  const reason = delivery.status_reason ?? "failed";
  return cause ? `${reason}: ${cause}` : reason;
}

/** Header names whose values are credentials: a run shows the name, never the value. */
const SECRET_HEADER = /auth|token|secret|key|pass|cookie|session|credential|signature/i;

/**
 * A run as `GET /api/v2/workflows/{id}/runs` shows it (SPEC §2.4): its status from its
 * delivery's, and the rendered request with every header that may carry a credential masked.
 */
export function runView(delivery: Delivery) {
  const status = runStatus(delivery);
  return {
    id: delivery.run?.id ?? runId(delivery),
    workflow_id: delivery.target.id,
    event_id: delivery.event_id,
    linked_account_id: delivery.linked_account_id,
    status,
    started_at: delivery.created_at,
    finished_at: status === "RUNNING" ? null : delivery.updated_at,
    error: runError(delivery),
    delivery_id: delivery.id,
    request: requestView(delivery.method, delivery.url, delivery.run?.headers ?? {}, delivery.body),
  };
}

/** A rendered request as runs and test runs show it: the body as JSON, credentials masked. */
export function requestView(
  method: string,
  url: string,
  headers: Record<string, string>,
  body: string,
) {
  return {
    method,
    url,
    headers: Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [
        name,
        SECRET_HEADER.test(name) ? "[redacted]" : value,
      ]),
    ),
    body: body === "" ? null : (JSON.parse(body) as JsonValue),
  };
}
