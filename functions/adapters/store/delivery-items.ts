import type { Attempt, Delivery } from "../../core/model.ts";
import { withoutKeys } from "./table-context.ts";

/**
 * The delivery record of an item: its attempts stay out, the last one shows — the last of
 * those kept in the item, or `last_attempt` once attempts go to items of their own.
 */
export function deliveryOf(item: Record<string, unknown>): Delivery {
  const { attempts, last_attempt, ...record } = withoutKeys<
    Omit<Delivery, "last_attempt"> & { attempts?: Attempt[]; last_attempt?: Attempt | null }
  >(item);
  const folded = attempts?.at(-1);
  const last =
    last_attempt && (!folded || last_attempt.attempt > folded.attempt) ? last_attempt : folded;
  return { ...record, last_attempt: last ?? null };
}

/**
 * What a list reads of a delivery: all but its request body. A workflow's delivery carries its
 * run, which a run list shows (its headers never).
 */
export const SUMMARY_ATTRIBUTES = [
  "kind",
  "id",
  "app_id",
  "event_id",
  "event_type",
  "platform",
  "linked_account_id",
  "target",
  "url",
  "method",
  "status",
  "status_reason",
  "ordered",
  "run",
  "attempt_count",
  "round_started_at_attempt",
  "owner_message_id",
  "next_attempt_at",
  "created_at",
  "updated_at",
  "attempts",
  "last_attempt",
  "expires_at",
] as const;

export function attemptsOf(item: Record<string, unknown>): Attempt[] {
  return (item.attempts as Attempt[] | undefined) ?? [];
}
