import { createHash } from "node:crypto";
import type { Clock } from "../clock.ts";
import { BadRequest, Conflict, HttpError } from "../errors.ts";
import { newId } from "../ids.ts";
import { canonicalJson, nestsDeeperThan } from "../json.ts";
import type { EventDefinition } from "../model.ts";
import type {
  DefinitionStore,
  EventPublisher,
  EventStore,
  IdempotencyStore,
  StoredEvent,
} from "../ports.ts";
import { LIMITS, linkedAccountId, triggerBody } from "../schemas.ts";
import { SLUG_PATTERN } from "../slug.ts";
import { assertPayloadFitsSample } from "../trigger-variables.ts";
import { parseInput } from "../validation.ts";

/** Idempotency keys are remembered for 24 hours (SPEC §2.1). */
const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface TriggerDeps {
  store: DefinitionStore & EventStore & IdempotencyStore;
  bus: EventPublisher;
  clock: Clock;
  /** Where a fault that does not change the answer is reported. */
  onError?: (message: string, error: unknown) => void;
}

export interface TriggerRequest {
  appId: string;
  /** The `{slug}` of the path, when the route has one. */
  slug?: string | undefined;
  linkedAccountId: string | undefined;
  idempotencyKey: string | undefined;
  /** The parsed JSON body; undefined when the request had none. */
  body: unknown;
}

/**
 * Accepts one event (SPEC §2.1): stores it and hands it to the bus, or answers an error and
 * leaves nothing behind. A 200 is only ever answered after the bus took the event.
 */
export async function triggerEvent(deps: TriggerDeps, request: TriggerRequest) {
  const body = parseInput(triggerBody, request.body ?? {});
  const accountId = parseInput(
    linkedAccountId,
    request.linkedAccountId,
    "linked_account_id header",
  );
  const payload = body.payload ?? {};
  if (nestsDeeperThan(payload, LIMITS.payloadDepth)) {
    throw new BadRequest(`payload nests deeper than ${LIMITS.payloadDepth} levels`);
  }
  const definition = await findDefinition(deps.store, request, body.event, body.name);
  if (definition.strict) assertPayloadFitsSample(payload, definition.sample_payload);

  const now = deps.clock.now();
  const event: StoredEvent = {
    v: 1,
    app_id: request.appId,
    event_id: newId("event", now.getTime()),
    type: definition.slug,
    platform: false,
    linked_account_id: accountId,
    timestamp: now.toISOString(),
    payload,
  };
  const key = request.idempotencyKey;
  if (key !== undefined) {
    const replayed = await claimKey(deps.store, request.appId, key, event, now);
    if (replayed) return { event_id: replayed };
  }
  try {
    await deps.store.putEvent(event);
    await deps.bus.publish([event]);
  } catch (error) {
    await undo(deps.store, event, key);
    throw new HttpError(500, "INTERNAL_ERROR", "the event could not be accepted; try again", {
      cause: error,
    });
  }
  if (key !== undefined) {
    // The event is on its way: a failure to mark the key answered must not turn that into a
    // 500. The claim stays pending, and a retry with the key takes it over after its lease.
    await deps.store
      .completeIdempotencyKey(request.appId, key, event.event_id)
      .catch((error: unknown) => deps.onError?.("idempotency key not marked answered", error));
  }
  return { event_id: event.event_id };
}

async function findDefinition(
  store: DefinitionStore,
  request: TriggerRequest,
  event: string | undefined,
  name: string | undefined,
): Promise<EventDefinition> {
  if (event !== undefined && name !== undefined && event !== name) {
    throw new BadRequest("event and name must be the same when both are given");
  }
  const named = event ?? name;
  const wanted = request.slug ?? named;
  if (wanted === undefined) throw new BadRequest("event is required");
  const definition = await lookUp(store, request.appId, wanted);
  if (!definition) {
    throw new BadRequest(`Trigger with name ${wanted} not found for application ${request.appId}`);
  }
  if (named !== undefined && named !== definition.slug && named !== definition.name) {
    throw new BadRequest(
      `event "${named}" does not name the event of the path (${definition.slug})`,
    );
  }
  return definition;
}

/** An event is named by its slug or by its name. */
async function lookUp(store: DefinitionStore, appId: string, nameOrSlug: string) {
  const bySlug = SLUG_PATTERN.test(nameOrSlug)
    ? await store.getDefinition(appId, nameOrSlug)
    : null;
  return bySlug ?? store.findDefinitionByName(appId, nameOrSlug);
}

/** Claims the key; answers the first request's event id when this one repeats it. */
async function claimKey(
  store: IdempotencyStore,
  appId: string,
  key: string,
  event: StoredEvent,
  now: Date,
): Promise<string | null> {
  if (key.length === 0 || key.length > 255) {
    throw new BadRequest("idempotency-key must be 1 to 255 characters long");
  }
  // The same request, whatever the order of its keys: canonical JSON of what routes it.
  const bodyHash = createHash("sha256")
    .update(canonicalJson([event.type, event.linked_account_id, event.payload]))
    .digest("hex");
  const result = await store.claimIdempotencyKey(
    appId,
    {
      key,
      body_hash: bodyHash,
      event_id: event.event_id,
      state: "pending",
      created_at: now.toISOString(),
    },
    IDEMPOTENCY_WINDOW_MS,
  );
  if (result.claimed) return null;
  if (result.existing.body_hash !== bodyHash) {
    throw new Conflict("idempotency-key was already used with another request");
  }
  if (result.existing.state !== "done") {
    throw new Conflict("a request with this idempotency-key is still in progress");
  }
  return result.existing.event_id;
}

/** Removes what a failed trigger wrote, so nothing is half-stored. */
async function undo(store: EventStore & IdempotencyStore, event: StoredEvent, key?: string) {
  await Promise.allSettled([
    store.deleteEvent(event.app_id, event.event_id),
    key === undefined ? Promise.resolve() : store.releaseIdempotencyKey(event.app_id, key),
  ]);
}
