import pLimit from "p-limit";
import { BadRequest, HttpError } from "../errors.ts";
import { batchTriggerBody, batchTriggerItem } from "../schemas.ts";
import { parseInput } from "../validation.ts";
import { PUBLISH_BATCH, publishRound } from "./publish-round.ts";
import { type TriggerDeps, triggerEvent } from "./trigger-event.ts";

export interface BatchTriggerRequest {
  appId: string;
  /** The request's `linked_account_id` header: the default of every item. */
  linkedAccountId: string | undefined;
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
  const round = publishRound(deps.bus, events.length);
  const limit = pLimit(ITEMS_IN_FLIGHT);
  return Promise.all(
    events.map((item, index) =>
      limit(async (): Promise<BatchItemResult> => {
        const { publisher, leave } = round();
        try {
          const accepted = await triggerItem({ ...deps, bus: publisher }, request, item);
          return { event_id: accepted.event_id };
        } catch (error) {
          return itemError(deps, error, index);
        } finally {
          leave();
        }
      }),
    ),
  );
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

/** An item's error as SPEC §2's error body, without the request id; a bug says nothing more. */
function itemError(deps: TriggerDeps, error: unknown, index: number): BatchItemResult {
  if (error instanceof HttpError) {
    if (error.statusCode >= 500) deps.onError?.(`batch item ${index} not accepted`, error);
    return {
      error: { status_code: error.statusCode, error_type: error.errorType, message: error.message },
    };
  }
  deps.onError?.(`batch item ${index} failed`, error);
  return { error: { status_code: 500, error_type: "INTERNAL_ERROR", message: "internal error" } };
}
