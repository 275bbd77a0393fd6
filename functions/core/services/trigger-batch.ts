import pLimit from "p-limit";
import { BadRequest, HttpError } from "../errors.ts";
import { batchTriggerBody, batchTriggerItem } from "../trigger-schemas.ts";
import { parseInput } from "../validation.ts";
import { PUBLISH_BATCH, publishRound } from "./publish-round.ts";
import { type TriggerDeps, triggerEvent } from "./trigger-event.ts";
import { turnsInOrder } from "./turns.ts";

export interface BatchTriggerRequest {
  appId: string;
  /** The request's `linked_account_id` header: the default of every item. */
  linkedAccountId: string | undefined;
  /** The request's `idempotency-key` header, which a batch refuses: each item has its own. */
  idempotencyKey: string | undefined;
  /** The parsed JSON body; undefined when the request had none. */
  body: unknown;
}

/** One item's answer, in the order of the request's items (SPEC §2.1). */
export type BatchItemResult =
  | { event_id: string }
  | { error: { status_code: number; error_type: string; message: string } };

/**
 * Items checked and stored at once. At least one PutEvents call's worth (the publish round
 * needs ten triggers that can wait together), and few enough to keep one invocation's
 * DynamoDB requests bounded.
 */
const ITEMS_IN_FLIGHT = 2 * PUBLISH_BATCH;

/**
 * Accepts up to 100 events in one request (SPEC §2.1). A body that is not `{ "events": [1–100
 * items] }` is a 400 for the whole request; otherwise each item is checked and accepted exactly
 * as a single trigger would be, on its own — a refused item stores nothing, an accepted one
 * has a single trigger's guarantee — and their events go on the bus ten to a PutEvents call.
 */
export async function triggerBatch(
  deps: TriggerDeps,
  request: BatchTriggerRequest,
): Promise<BatchItemResult[]> {
  const { events } = parseInput(batchTriggerBody, request.body);
  if (request.idempotencyKey !== undefined) {
    throw new BadRequest(
      "the idempotency-key header does not apply to a batch: give each item its idempotency_key",
    );
  }
  // An item that repeats an earlier item's key waits for it, and then answers as a retry
  // with that key does (its event id, or 409 for another body), not "still in progress".
  const { firsts, repeats } = byFirstUseOfKey(events);
  const results: BatchItemResult[] = [];
  const round = publishRound(deps.bus, firsts.length);
  // Ordered subscriptions get the batch's events in the items' order (SPEC §3.1).
  const turns = turnsInOrder(firsts.length);
  const limit = pLimit(ITEMS_IN_FLIGHT);
  await Promise.all(
    firsts.map((index, position) =>
      limit(async () => {
        const { publisher, leave } = round();
        const turn = turns(position);
        try {
          const item = { ...deps, bus: publisher, orderedTurn: turn.take };
          results[index] = await runItem(item, request, events, index);
        } finally {
          leave();
          turn.leave();
        }
      }),
    ),
  );
  for (const index of repeats) results[index] = await runItem(deps, request, events, index);
  return results;
}

/** Item positions: the first use of each idempotency key (and every item without one), and the rest. */
function byFirstUseOfKey(events: unknown[]) {
  const seen = new Set<string>();
  const firsts: number[] = [];
  const repeats: number[] = [];
  events.forEach((item, index) => {
    const key = (item as { idempotency_key?: unknown } | null)?.idempotency_key;
    if (typeof key !== "string") firsts.push(index);
    else if (seen.has(key)) repeats.push(index);
    else {
      seen.add(key);
      firsts.push(index);
    }
  });
  return { firsts, repeats };
}

async function runItem(
  deps: TriggerDeps,
  request: BatchTriggerRequest,
  events: unknown[],
  index: number,
): Promise<BatchItemResult> {
  try {
    const accepted = await triggerItem(deps, request, events[index]);
    return { event_id: accepted.event_id };
  } catch (error) {
    return itemError(deps, error, index);
  }
}

function triggerItem(deps: TriggerDeps, request: BatchTriggerRequest, input: unknown) {
  const item = parseInput(batchTriggerItem, input, "item");
  const linkedAccountId = item.linked_account_id ?? request.linkedAccountId;
  if (linkedAccountId === undefined) {
    throw new BadRequest("linked_account_id is required, in the item or in its header");
  }
  return triggerEvent(deps, {
    appId: request.appId,
    linkedAccountId,
    idempotencyKey: item.idempotency_key,
    body: { event: item.event, name: item.name, payload: item.payload },
  });
}

/**
 * An item's error as SPEC §2's error body, without the request id; a bug says nothing more.
 * A 5xx item is reported as the fault it is (the request itself still answers 200).
 */
function itemError(deps: TriggerDeps, error: unknown, index: number): BatchItemResult {
  if (error instanceof HttpError) {
    if (error.statusCode >= 500) deps.onItemFault?.(`batch item ${index} not accepted`, error);
    return {
      error: { status_code: error.statusCode, error_type: error.errorType, message: error.message },
    };
  }
  deps.onItemFault?.(`batch item ${index} failed`, error);
  return { error: { status_code: 500, error_type: "INTERNAL_ERROR", message: "internal error" } };
}
