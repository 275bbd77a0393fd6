// zod/mini: the same schemas and issues as zod, tree-shakable, so bundles carry only what
// they use (the full build adds ~440 KB to every function that validates). The management
// API's schemas: each is built when its module loads, so the trigger's live apart
// (trigger-schemas.ts) and the limits and delivery statuses, which need no zod, too.
import * as z from "zod/mini";
import { DELIVERY_STATUSES } from "./delivery-status.ts";
import type { JsonValue } from "./json.ts";
import { LIMITS } from "./limits.ts";
import { HTTP_METHODS } from "./model.ts";
import { MAX_RATE_LIMIT } from "./rate-limit.ts";
import { linkedAccountId } from "./trigger-schemas.ts";
import { jsonObject, text } from "./validation.ts";

// For the modules that take the delivery statuses' types from here.
export type { DeliveryStatus, DeliveryStatusReason } from "./delivery-status.ts";

export const name = z.string().check(z.trim(), z.minLength(1), z.maxLength(LIMITS.nameLength));
const description = z.string().check(z.maxLength(LIMITS.descriptionLength));

/** `POST /api/v2/events` (§2.2). */
export const createDefinitionBody = z.strictObject({
  name,
  slug: z.optional(
    z.string().check(z.regex(/^[a-z0-9_]{1,64}$/, { message: "must match ^[a-z0-9_]{1,64}$" })),
  ),
  description: z.optional(description),
  sample_payload: jsonObject,
  strict: z.optional(z.boolean()),
});

/** `PATCH /api/v2/events/{slug}`: a slug never changes. */
export const patchDefinitionBody = z.strictObject({
  name: z.optional(name),
  description: z.optional(description),
  sample_payload: z.optional(jsonObject),
  strict: z.optional(z.boolean()),
});

const url = text(1, 2048);
const events = z.array(text(1, 200)).check(z.minLength(1), z.maxLength(LIMITS.eventsPerWebhook));
// Empty would silently receive nothing: omit the field (or send null) for every account.
const linkedAccountIds = z
  .array(linkedAccountId)
  .check(z.minLength(1), z.maxLength(LIMITS.linkedAccountsPerWebhook));

// Names and values are checked by the service, whose messages name the header.
const headers = z.record(z.string(), z.string()).check(
  z.refine((value) => Object.keys(value).length <= LIMITS.headersPerRequest, {
    message: `must hold at most ${LIMITS.headersPerRequest} headers`,
  }),
);

/** Requests a second (§3.1): a whole number from 1 to 500. */
const rateLimit = z.int().check(
  z.refine((value) => value >= 1 && value <= MAX_RATE_LIMIT, {
    message: `must be a whole number of requests a second from 1 to ${MAX_RATE_LIMIT}`,
  }),
);

/** `POST /api/v2/webhooks` (§2.3, §3.1). */
export const createWebhookBody = z.strictObject({
  url,
  events,
  name: z.optional(name),
  description: z.optional(description),
  linked_account_ids: z.optional(linkedAccountIds),
  filter: z.optional(jsonObject),
  enabled: z.optional(z.boolean()),
  headers: z.optional(headers),
  rate_limit: z.optional(rateLimit),
  ordered: z.optional(z.boolean()),
});

/** `PATCH /api/v2/webhooks/{id}`: every field but the secret; `null` clears an optional one. */
export const patchWebhookBody = z.strictObject({
  url: z.optional(url),
  events: z.optional(events),
  name: z.optional(z.nullable(name)),
  description: z.optional(z.nullable(description)),
  linked_account_ids: z.optional(z.nullable(linkedAccountIds)),
  filter: z.optional(z.nullable(jsonObject)),
  enabled: z.optional(z.boolean()),
  headers: z.optional(z.nullable(headers)),
  rate_limit: z.optional(z.nullable(rateLimit)),
  ordered: z.optional(z.boolean()),
});

/** Any JSON value (a body template); its depth and placeholders are checked by the service. */
const jsonValue = z.custom<JsonValue>((value) => value !== undefined, { message: "is required" });

const actionFields = {
  type: z.literal("http"),
  url,
  method: z.optional(z.enum(HTTP_METHODS)),
  headers: z.optional(headers),
  body: z.optional(z.nullable(jsonValue)),
};

/** `POST /api/v2/workflows` (§2.4). */
export const createWorkflowBody = z.strictObject({
  name,
  description: z.optional(description),
  event: text(1, 64),
  enabled: z.optional(z.boolean()),
  linked_account_ids: z.optional(linkedAccountIds),
  filter: z.optional(jsonObject),
  action: z.strictObject(actionFields),
});

/**
 * `PATCH /api/v2/workflows/{id}`: every field but the secret; `null` clears an optional one.
 * The action's fields are merged into the stored action, so one can change alone.
 */
export const patchWorkflowBody = z.strictObject({
  name: z.optional(name),
  description: z.optional(z.nullable(description)),
  event: z.optional(text(1, 64)),
  enabled: z.optional(z.boolean()),
  linked_account_ids: z.optional(z.nullable(linkedAccountIds)),
  filter: z.optional(z.nullable(jsonObject)),
  action: z.optional(z.partial(z.strictObject(actionFields))),
});

/** `POST /api/v2/workflows/{id}/test` (§2.4): the definition's sample payload by default. */
export const testWorkflowBody = z.strictObject({
  payload: z.optional(jsonObject),
  linked_account_id: z.optional(linkedAccountId),
  send: z.optional(z.boolean()),
});

/** The latest time a ULID can hold (the year 10889). */
const LAST_ULID_TIME = 2 ** 48 - 1;

/** A date and time ids can be compared with: from 1970 to the last a ULID can hold. */
const instant = z.string().check(
  z.refine((value) => !Number.isNaN(Date.parse(value)), {
    message: "must be an ISO 8601 date and time",
  }),
  z.refine(
    (value) =>
      Number.isNaN(Date.parse(value)) ||
      (Date.parse(value) >= 0 && Date.parse(value) <= LAST_ULID_TIME),
    { message: "must be between 1970 and the year 10889" },
  ),
);

/**
 * `POST /api/v2/dlq/redrive` and `/purge` (§2.5): `ids` (1–100), or a selection by target and
 * time (`{}`: every dead letter), continued with the `cursor` the previous call answered.
 */
export const dlqActionBody = z
  .strictObject({
    ids: z.optional(z.array(text(1, 64)).check(z.minLength(1), z.maxLength(100))),
    webhook_id: z.optional(text(1, 64)),
    workflow_id: z.optional(text(1, 64)),
    since: z.optional(instant),
    until: z.optional(instant),
    cursor: z.optional(text(1, 2048)),
  })
  .check(
    z.refine(
      (body) =>
        !body.ids ||
        (body.webhook_id ?? body.workflow_id ?? body.since ?? body.until ?? body.cursor) ===
          undefined,
      {
        message:
          "takes ids or a selection (webhook_id, workflow_id, since, until, cursor), not both",
      },
    ),
    z.refine((body) => !(body.webhook_id && body.workflow_id), {
      message: "takes webhook_id or workflow_id, not both: a delivery has one target",
    }),
    z.refine(
      (body) => !body.since || !body.until || Date.parse(body.since) <= Date.parse(body.until),
      { message: "since must not be after until" },
    ),
  );

/**
 * `POST /api/v2/webhooks/{id}/replay` (§2.5): the window of events to send again, `until`
 * open when absent, continued with the `cursor` the previous call answered.
 */
export const webhookReplayBody = z
  .strictObject({
    since: instant,
    until: z.optional(instant),
    cursor: z.optional(text(1, 2048)),
  })
  .check(
    z.refine((body) => !body.until || Date.parse(body.since) <= Date.parse(body.until), {
      message: "since must not be after until",
    }),
  );

/**
 * `POST /api/v2/webhooks/{id}/rotate-secret` and `POST /api/v2/deliveries/{id}/retry` take no
 * field: `{}` or no body.
 */
export const rotateSecretBody = z.strictObject({});

/** `?limit=&cursor=` of every list: default 50, larger values clamped to 200. */
const pageQuery = {
  limit: z._default(
    z.pipe(
      z.coerce.number().check(z.int(), z.minimum(1)),
      z.transform((limit: number) => Math.min(limit, LIMITS.listMax)),
    ),
    LIMITS.listDefault,
  ),
  cursor: z.optional(text(1, 2048)),
};

export const listQuery = z.strictObject(pageQuery);

/** `GET /api/v2/deliveries?status=&webhook_id=&workflow_id=&event_id=` (§2.5). */
export const deliveryListQuery = z
  .strictObject({
    ...pageQuery,
    status: z.optional(z.enum(DELIVERY_STATUSES)),
    webhook_id: z.optional(text(1, 64)),
    workflow_id: z.optional(text(1, 64)),
    event_id: z.optional(text(1, 64)),
  })
  .check(
    z.refine((query) => !(query.webhook_id && query.workflow_id), {
      message: "takes webhook_id or workflow_id, not both: a delivery has one target",
    }),
  );

export type CreateWorkflowBody = z.output<typeof createWorkflowBody>;
export type PatchWorkflowBody = z.output<typeof patchWorkflowBody>;
export type CreateDefinitionBody = z.output<typeof createDefinitionBody>;
export type PatchDefinitionBody = z.output<typeof patchDefinitionBody>;
