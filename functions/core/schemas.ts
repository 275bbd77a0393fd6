// zod/mini: the same schemas and issues as zod, tree-shakable, so bundles carry only what
// they use (the full build adds ~440 KB to every function that validates).
import * as z from "zod/mini";
import { jsonObject } from "./validation.ts";

/** SPEC §2 limits. */
export const LIMITS = {
  bodyBytes: 256 * 1024,
  nameLength: 200,
  descriptionLength: 2000,
  payloadDepth: 32,
  eventsPerWebhook: 100,
  linkedAccountsPerWebhook: 100,
  listDefault: 50,
  listMax: 200,
} as const;

const text = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));
export const name = z.string().check(z.trim(), z.minLength(1), z.maxLength(LIMITS.nameLength));
const description = z.string().check(z.maxLength(LIMITS.descriptionLength));

/** 1–256 printable characters: no control characters, which could not travel in a header. */
export const linkedAccountId = text(1, 256).check(
  z.regex(/^[^\p{Cc}]+$/u, { message: "must hold printable characters only" }),
);

/** `POST /api/v2/public/event[/{slug}]` (§2.1); `name` is Paragon's word for `event`. */
export const triggerBody = z.strictObject({
  event: z.optional(text(1, LIMITS.nameLength)),
  name: z.optional(text(1, LIMITS.nameLength)),
  payload: z.optional(jsonObject),
});

/** The most events one `POST /api/v2/public/events/batch` takes (§2.1). */
export const BATCH_TRIGGER_MAX = 100;

/**
 * `POST /api/v2/public/events/batch` (§2.1): the request's own shape; each item is checked on
 * its own, as a single trigger is (`batchTriggerItem`).
 */
export const batchTriggerBody = z.strictObject({
  events: z.array(z.unknown()).check(z.minLength(1), z.maxLength(BATCH_TRIGGER_MAX)),
});

/** One item of a batch trigger: a single trigger's body, with its headers as fields. */
export const batchTriggerItem = z.strictObject({
  event: z.optional(text(1, LIMITS.nameLength)),
  name: z.optional(text(1, LIMITS.nameLength)),
  payload: z.optional(jsonObject),
  linked_account_id: z.optional(linkedAccountId),
  idempotency_key: z.optional(z.string()),
});

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

/** `POST /api/v2/webhooks` (§2.3). */
export const createWebhookBody = z.strictObject({
  url,
  events,
  name: z.optional(name),
  description: z.optional(description),
  linked_account_ids: z.optional(linkedAccountIds),
  filter: z.optional(jsonObject),
  enabled: z.optional(z.boolean()),
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
});

/** `POST /api/v2/webhooks/{id}/rotate-secret` takes no field: `{}` or no body. */
export const rotateSecretBody = z.strictObject({});

/**
 * SPEC §2.5: `failed` will be retried; `dead_lettered` and `discarded` have ended without a
 * success (a discarded delivery was given up without a dead letter, e.g. its subscription was
 * deleted).
 */
export const DELIVERY_STATUSES = [
  "pending",
  "succeeded",
  "failed",
  "dead_lettered",
  "discarded",
] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * Why a delivery ended without a success (its `status_reason`):
 * - `retries_exhausted`: its last retry failed;
 * - `subscription_disabled`: its subscription was disabled when its turn came (no request);
 * - `subscription_deleted`: its subscription was gone when its turn came (no request);
 * - `receive_limit`: the delivery queue's own redrive moved its message to the dead-letter
 *   queue, after the deliverer had failed on it again and again;
 * - `subscription_paused`: its subscription stayed paused (its receiver kept failing) longer
 *   than a delivery may be held.
 */
export const DELIVERY_STATUS_REASONS = [
  "retries_exhausted",
  "subscription_disabled",
  "subscription_deleted",
  "receive_limit",
  "subscription_paused",
] as const;
export type DeliveryStatusReason = (typeof DELIVERY_STATUS_REASONS)[number];

/** Whether a delivery has ended: nothing will send it again unless it is retried by hand. */
export function hasEnded(status: DeliveryStatus): boolean {
  return status === "succeeded" || status === "dead_lettered" || status === "discarded";
}

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

export type CreateDefinitionBody = z.output<typeof createDefinitionBody>;
export type PatchDefinitionBody = z.output<typeof patchDefinitionBody>;
