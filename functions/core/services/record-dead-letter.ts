import { hasEnded } from "../delivery-status.ts";
import type { DeliveryMessage } from "../model.ts";
import type { DeliveryStore } from "../ports.ts";
import { type AutoDisableDeps, disableIfFailingTooLong } from "./auto-disable.ts";
import { type DeadLetterDeps, deadLetter } from "./dead-letter.ts";

export interface RecordDeadLetterDeps extends DeadLetterDeps, AutoDisableDeps {
  store: DeliveryStore & AutoDisableDeps["store"];
}

/**
 * What became of one message of the delivery dead-letter queue:
 * - `recorded`: its delivery is now `dead_lettered` (and subscribers were told);
 * - `ended`: the delivery had ended already (the deliverer dead-lettered it, or it succeeded
 *   or was discarded meanwhile);
 * - `moved_on`: the deliverer moved this copy, then the delivery changed (another attempt, a
 *   redrive): the copy is stale;
 * - `missing`: no such delivery (expired, or never written).
 */
export type DeadLetterOutcome = "recorded" | "ended" | "moved_on" | "missing";

/**
 * Makes the delivery table the record of the delivery dead-letter queue (SPEC §3). A message
 * the queue's own redrive moved there (the backstop for messages that crash the deliverer)
 * finds its delivery still `pending` or `failed`: it is dead-lettered exactly as the deliverer
 * does after its last retry, reason `receive_limit`. A message the deliverer moved there itself
 * carries a stamp: its delivery is `dead_lettered` already, unless the deliverer stopped
 * between the move and the mark — then this finishes it with the deliverer's reason. Either
 * way the message may then be deleted. A redrive's dead letter is a dead letter like the
 * deliverer's: a subscription failing for too long is disabled at it (SPEC §3.1), as the
 * deliverer checks before it moves one.
 */
export async function recordDeadLetter(
  deps: RecordDeadLetterDeps,
  message: DeliveryMessage,
): Promise<DeadLetterOutcome> {
  const delivery = await deps.store.getDelivery(message.app_id, message.delivery_id);
  if (!delivery) return "missing";
  if (hasEnded(delivery.status)) return "ended";
  const stamp = message.dead_letter;
  // Times are the deliverer's ISO strings: a delivery written after the move has gone on.
  if (stamp && delivery.updated_at > stamp.at) return "moved_on";
  if (!stamp) await disableIfFailingTooLong(deps, delivery);
  await deadLetter(deps, delivery, stamp?.reason ?? "receive_limit");
  return "recorded";
}
