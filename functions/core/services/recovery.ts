import { randomUUID } from "node:crypto";
import pLimit from "p-limit";
import type { Clock } from "../clock.ts";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import { messageFor } from "../delivery-messages.ts";
import { hasEnded } from "../delivery-status.ts";
import { deliveryView } from "../delivery-views.ts";
import { Conflict, NotFound } from "../errors.ts";
import { isId } from "../ids.ts";
import type { DeliveryMessage, DeliverySummary } from "../model.ts";
import type { DeadLetterSelection, DeliveryQueue, DeliveryStore } from "../ports.ts";
import { dlqActionBody } from "../schemas.ts";
import { parseInput } from "../validation.ts";

export interface RecoveryDeps {
  store: DeliveryStore;
  queue: DeliveryQueue;
  clock: Clock;
}

/** Dead letters one redrive or purge call takes: it must answer within API Gateway's 30 s. */
export const DLQ_BATCH = 100;
/** Reopens (or purges) one call makes at once. */
const WRITES_IN_FLIGHT = 16;

/**
 * `POST /api/v2/deliveries/{id}/retry` (SPEC §2.5): an ended delivery goes out again with the
 * same `webhook-id`, a fresh round of retries and attempt numbers that continue.
 */
export async function retryDelivery(deps: RecoveryDeps, appId: string, id: string) {
  const delivery = isId("delivery", id) ? await deps.store.getDelivery(appId, id) : null;
  if (!delivery) throw new NotFound(`delivery "${id}" not found`);
  if (!hasEnded(delivery.status)) {
    throw new Conflict(
      `delivery "${id}" is still queued (${delivery.status}): it goes out by itself`,
    );
  }
  if (delivery.status_reason === "render_failed") {
    throw new Conflict(
      `delivery "${id}" was never rendered (${delivery.run?.error ?? "render failed"}): fix the workflow and replay the event`,
    );
  }
  const [sent] = await sendAgain(deps, [delivery]);
  if (!sent) throw new Conflict(`delivery "${id}" was changed by another request: try again`);
  return deliveryView({
    ...delivery,
    status: "pending",
    status_reason: null,
    updated_at: deps.clock.now().toISOString(),
  });
}

/**
 * `POST /api/v2/dlq/redrive`: the listed dead letters, or the oldest 100 a selection matches,
 * each sent again as a retry sends it. Answers how many, whether more may remain (and the
 * `next_cursor` to go on from: other dead letters ahead of the selection's are passed over),
 * and the listed ids that were not dead-lettered.
 */
export async function redriveDeadLetters(deps: RecoveryDeps, appId: string, input: unknown) {
  const { taken, skipped, ...continuation } = await takeDeadLetters(deps, appId, input);
  const sent = await sendAgain(deps, taken);
  const lost = taken.filter((_, index) => !sent[index]).map((delivery) => delivery.id);
  return { redriven: taken.length - lost.length, ...continuation, skipped: [...skipped, ...lost] };
}

/**
 * `POST /api/v2/dlq/purge`: the same selection, taken out of the DLQ without being sent: each
 * becomes `discarded` (reason `purged`), which a later retry may still send.
 */
export async function purgeDeadLetters(deps: RecoveryDeps, appId: string, input: unknown) {
  const { taken, skipped, ...continuation } = await takeDeadLetters(deps, appId, input);
  const at = deps.clock.now().toISOString();
  const limit = pLimit(WRITES_IN_FLIGHT);
  const purged = await Promise.all(
    taken.map((delivery) => limit(() => deps.store.discardDeadLetter(appId, delivery.id, at))),
  );
  const lost = taken.filter((_, index) => !purged[index]).map((delivery) => delivery.id);
  return { purged: taken.length - lost.length, ...continuation, skipped: [...skipped, ...lost] };
}

/** The dead letters a redrive or purge body names or selects. */
async function takeDeadLetters(deps: RecoveryDeps, appId: string, input: unknown) {
  const body = parseInput(dlqActionBody, input ?? {});
  if (body.ids) {
    const ids = [...new Set(body.ids)];
    const found = await Promise.all(
      ids.map((id) => (isId("delivery", id) ? deps.store.getDelivery(appId, id) : null)),
    );
    const taken = found.filter(
      (delivery): delivery is NonNullable<typeof delivery> => delivery?.status === "dead_lettered",
    );
    const skipped = ids.filter((id) => !taken.some((delivery) => delivery.id === id));
    return { taken, remaining: false, next_cursor: null, skipped };
  }
  const selection: DeadLetterSelection = {
    targetId: body.webhook_id ?? body.workflow_id,
    since: body.since === undefined ? undefined : new Date(body.since),
    until: body.until === undefined ? undefined : new Date(body.until),
  };
  // The cursor is bound to the app and the selection, as a list's is.
  const selectionKey = JSON.stringify([
    appId,
    selection.targetId ?? null,
    body.since ?? null,
    body.until ?? null,
  ]);
  const after =
    body.cursor === undefined
      ? undefined
      : decodeCursor(
          body.cursor,
          selectionKey,
          (id) => isId("delivery", id),
          "cursor is not one this selection answered",
        );
  const { deliveries, next } = await deps.store.oldestDeadLetters(
    appId,
    selection,
    DLQ_BATCH,
    after,
  );
  return {
    taken: deliveries,
    remaining: next !== undefined,
    next_cursor: next === undefined ? null : encodeCursor(selectionKey, next),
    skipped: [] as string[],
  };
}

/**
 * Sends ended deliveries out again, each in two steps that survive a stop between them: first
 * a message carrying a retry ticket (a token of its own, and the status and attempt count the
 * delivery has now), then the delivery reopened from exactly that status and count, owned by
 * the token. Stopped before the message, nothing happened; stopped after it, the deliverer
 * reopens the delivery from the ticket when the message arrives; and of two calls racing for
 * one delivery only one reopens it (the other's message finds another owner and is dropped).
 * Answers, for each, whether this call's message carries it.
 */
async function sendAgain(deps: RecoveryDeps, deliveries: DeliverySummary[]): Promise<boolean[]> {
  if (deliveries.length === 0) return [];
  const messages: DeliveryMessage[] = deliveries.map((delivery) => ({
    ...messageFor(delivery),
    retry: {
      carrier: randomUUID(),
      status: delivery.status,
      attempt_count: delivery.attempt_count,
    },
  }));
  await deps.queue.enqueue(messages);
  const at = deps.clock.now().toISOString();
  const limit = pLimit(WRITES_IN_FLIGHT);
  return Promise.all(
    deliveries.map((delivery, index) =>
      limit(async () => {
        const ticket = messages[index]?.retry;
        if (!ticket) return false;
        const from = { status: delivery.status, attemptCount: delivery.attempt_count };
        if (
          await deps.store.reopenDelivery(delivery.app_id, delivery.id, from, ticket.carrier, at)
        ) {
          return true;
        }
        // The deliverer may have reopened it from this very message already.
        const now = await deps.store.getDelivery(delivery.app_id, delivery.id);
        return now?.owner_message_id === ticket.carrier;
      }),
    ),
  );
}
