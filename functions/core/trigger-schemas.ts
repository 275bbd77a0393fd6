// zod/mini, as in schemas.ts: only the trigger's schemas, which the trigger function builds
// when it loads; the management API's are not built there.
import * as z from "zod/mini";
import { LIMITS } from "./limits.ts";
import { jsonObject, text } from "./validation.ts";

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
