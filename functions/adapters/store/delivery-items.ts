import type { Attempt, Delivery } from "../../core/model.ts";
import { withoutKeys } from "./table-context.ts";

/** The delivery record of an item: its attempts stay out, the last one shows. */
export function deliveryOf(item: Record<string, unknown>): Delivery {
  const { attempts, ...record } = withoutKeys<Delivery & { attempts?: Attempt[] }>(item);
  return { ...record, last_attempt: attempts?.at(-1) ?? null };
}

export function attemptsOf(item: Record<string, unknown>): Attempt[] {
  return (item.attempts as Attempt[] | undefined) ?? [];
}
