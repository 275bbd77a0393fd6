import { createHash } from "node:crypto";
import type { Clock } from "../clock.ts";
import { BadRequest, Conflict, HttpError } from "../errors.ts";
import { newId } from "../ids.ts";
import { canonicalJson, nestsDeeperThan } from "../json.ts";
import { LIMITS } from "../limits.ts";
import type { Delivery, EventDefinition, RoutedEvent } from "../model.ts";
import {
  type DefinitionStore,
  type DeliveryQueue,
  type DeliveryStore,
  type EventPublisher,
  type EventStore,
  type IdempotencyRecord,
  type IdempotencyStore,
  PublishRejected,
  type StoredEvent,
  type SubscriptionStore,
} from "../ports.ts";
import { SLUG_PATTERN } from "../slug.ts";
import { linkedAccountId, triggerBody } from "../trigger-schemas.ts";
import { assertPayloadFitsSample } from "../trigger-variables.ts";
import { parseInput } from "../validation.ts";
import type { DefinitionLookup } from "./definition-cache.ts";
import { NothingQueued, routeOrdered, type Turn } from "./ordered-routing.ts";
import type { SubscriptionListLookup } from "./subscription-cache.ts";

/** Idempotency keys are remembered for 24 hours (SPEC §2.1). */
const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
/**
 * How long a pending claim belongs to the request that made it: twice the trigger function's
 * timeout (10 s, and API Gateway gives up on it at 30 s), so a claim still pending after this
 * belongs to a request that is gone, and a client's retry is not kept waiting much longer.
 */
const CLAIM_LEASE_MS = 20_000;
const MAX_KEY_LENGTH = 255;
const ANOTHER_REQUEST = "idempotency-key was already used with another request";
const IN_PROGRESS = "a request with this idempotency-key is still in progress";

export interface TriggerDeps {
  store: DefinitionStore & EventStore & IdempotencyStore & SubscriptionStore & DeliveryStore;
  bus: EventPublisher;
  /** Where ordered subscriptions' deliveries are queued (SPEC §3.1). */
  queue: DeliveryQueue;
  clock: Clock;
  /** How an app's subscriptions are read; the store when not given (the handler caches them). */
  subscriptions?: SubscriptionListLookup;
  /**
   * Runs the send of an event's ordered deliveries in its turn: a batch's items, handled at
   * once, still queue them in the items' order. Straight away when absent.
   */
  orderedTurn?: Turn;
  /** Finds definitions; the store when not given (the handler caches them). */
  definitions?: DefinitionLookup;
  /** Where a fault that does not change the answer is reported. */
  onError?: (message: string, error: unknown) => void;
  /** Where a batch item that answers 5xx is reported (its request still answers 200). */
  onItemFault?: (message: string, error: unknown) => void;
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
 * Accepts one event (SPEC §2.1): stores it, queues its ordered subscriptions' deliveries (SPEC
 * §3.1) and hands it to the bus. A 200 is only ever answered after the bus took the event; an
 * error answer leaves nothing behind when nothing can have gone out, and otherwise keeps the
 * event for a retry with the same idempotency-key to hand off again.
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
  const definition = await findDefinition(
    deps.definitions ?? deps.store,
    request,
    body.event,
    body.name,
  );
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
  if (key === undefined) {
    await handOff(deps, event, null);
    return { event_id: event.event_id };
  }
  return { event_id: await triggerOnce(deps, key, event, now) };
}

async function findDefinition(
  store: DefinitionLookup,
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
async function lookUp(store: DefinitionLookup, appId: string, nameOrSlug: string) {
  const bySlug = SLUG_PATTERN.test(nameOrSlug)
    ? await store.getDefinition(appId, nameOrSlug)
    : null;
  return bySlug ?? store.findDefinitionByName(appId, nameOrSlug);
}

/**
 * One event per key, whatever becomes of the requests that carry it: a repeat answers the
 * key's event, and a retry after a request that is gone puts that same event on the bus again
 * rather than making another (the fan-out derives delivery ids from event and subscription, so
 * a second put of one event makes no second delivery). Answers the key's event id.
 */
async function triggerOnce(
  deps: TriggerDeps,
  key: string,
  event: StoredEvent,
  now: Date,
): Promise<string> {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new BadRequest(`idempotency-key must be 1 to ${MAX_KEY_LENGTH} characters long`);
  }
  const claim: IdempotencyRecord = {
    key,
    body_hash: requestHash(event),
    event_id: event.event_id,
    state: "pending",
    created_at: now.toISOString(),
    lease_until: new Date(now.getTime() + CLAIM_LEASE_MS).toISOString(),
  };
  const result = await deps.store.claimIdempotencyKey(event.app_id, claim, IDEMPOTENCY_WINDOW_MS);
  if (result.claimed) {
    await handOff(deps, event, claim);
    return event.event_id;
  }
  const { existing } = result;
  const sameRequest = existing.body_hash === claim.body_hash;
  if (existing.state === "done" || Date.parse(existing.lease_until) > now.getTime()) {
    if (!sameRequest) throw new Conflict(ANOTHER_REQUEST);
    if (existing.state === "done") return existing.event_id;
    throw new Conflict(IN_PROGRESS);
  }
  // The claim's request is gone. An event is stored before it is published, so an event that
  // is not stored never reached the bus: this request takes the key over with its own.
  const earlier = await deps.store.getEvent(event.app_id, existing.event_id);
  if (earlier === null) {
    await takeOver(deps, event.app_id, existing, claim);
    await handOff(deps, event, claim);
    return event.event_id;
  }
  if (!sameRequest) throw new Conflict(ANOTHER_REQUEST);
  const renewed = { ...existing, lease_until: claim.lease_until };
  await takeOver(deps, event.app_id, existing, renewed);
  await republish(deps, earlier, renewed);
  return earlier.event_id;
}

/** The same request, whatever the order of its keys: canonical JSON of what routes it. */
function requestHash(event: StoredEvent): string {
  return createHash("sha256")
    .update(canonicalJson([event.type, event.linked_account_id, event.payload]))
    .digest("hex");
}

/** Takes a claim whose request is gone; when another retry took it first, that one goes on. */
async function takeOver(
  deps: TriggerDeps,
  appId: string,
  existing: IdempotencyRecord,
  next: IdempotencyRecord,
) {
  if (!(await deps.store.replaceIdempotencyClaim(appId, existing, next, IDEMPOTENCY_WINDOW_MS))) {
    throw new Conflict(IN_PROGRESS);
  }
}

/**
 * Stores the event, routes it to the app's ordered subscriptions (`routeOrdered`), then puts
 * it on the bus (`sendOn`). Undone (event deleted, key released) only when nothing can have
 * gone out. When the event may have gone out (an ordered delivery queued; a bus timeout or
 * 5xx), the stored event stays, since the fan-out may read it, and the claim's lease ends, so
 * that a retry with the key sends this same event on at once.
 */
async function handOff(deps: TriggerDeps, event: StoredEvent, claim: IdempotencyRecord | null) {
  try {
    await deps.store.putEvent(event);
  } catch (error) {
    await undo(deps.store, event, claim);
    throw notAccepted(error);
  }
  await sendOn(deps, event, claim, true);
}

/**
 * Routes a stored event in order, then puts it on the bus. On a failure it undoes the event
 * when `undoable` and nothing went out (its routing stopped before a send, taking back the
 * deliveries it wrote; or the bus refused it for good and no ordered delivery was queued), and
 * otherwise keeps it and ends the claim's lease for a retry.
 */
async function sendOn(
  deps: TriggerDeps,
  event: StoredEvent,
  claim: IdempotencyRecord | null,
  undoable: boolean,
) {
  let routed: RoutedEvent;
  try {
    [routed = event] = await routeOrdered(routingOf(deps), [event], (send) =>
      deps.orderedTurn ? deps.orderedTurn(send) : send(),
    );
  } catch (error) {
    if (undoable && error instanceof NothingQueued && (await withdraw(deps, error.written))) {
      await undo(deps.store, event, claim);
    } else if (claim) {
      await endLease(deps, event.app_id, claim); // some may have been queued: a retry finishes
    }
    throw notAccepted(error);
  }
  try {
    await deps.bus.publish([routed]);
  } catch (error) {
    const nothingWentOut = error instanceof PublishRejected && routed.ordered_to === undefined;
    if (undoable && nothingWentOut) await undo(deps.store, event, claim);
    else if (claim) await endLease(deps, event.app_id, claim);
    throw notAccepted(error);
  }
  if (claim) await complete(deps, event.app_id, claim);
}

/**
 * Takes back deliveries written for an event being undone, while none has been attempted.
 * False when one could not be: the event is then kept, for a retry with its key to queue them.
 */
async function withdraw(deps: TriggerDeps, deliveries: Pick<Delivery, "app_id" | "id">[]) {
  const results = await Promise.allSettled(
    deliveries.map((delivery) => deps.store.withdrawDelivery(delivery.app_id, delivery.id)),
  );
  const failed = results.find((result) => result.status === "rejected");
  if (failed)
    deps.onError?.("an undone event's deliveries not withdrawn; it is kept", failed.reason);
  return failed === undefined;
}

/** What routing in order reads and writes: the trigger's own store, queue and caches. */
function routingOf(deps: TriggerDeps) {
  return {
    store: deps.store,
    queue: deps.queue,
    clock: deps.clock,
    subscriptions: deps.subscriptions,
  };
}

/**
 * Sends the key's stored event on again: routed in order again (the same deliveries: their ids
 * derive from event and subscription) and put on the bus. Whatever happens, the event stays:
 * an earlier hand-off of it may have been taken.
 */
function republish(deps: TriggerDeps, earlier: StoredEvent, claim: IdempotencyRecord) {
  return sendOn(deps, earlier, claim, false);
}

function notAccepted(cause: unknown) {
  return new HttpError(500, "INTERNAL_ERROR", "the event could not be accepted; try again", {
    cause,
  });
}

/**
 * The event is on its way: a failure to mark the key answered must not turn that into a 500.
 * The claim stays pending, and a retry after its lease puts the same event on the bus again.
 */
async function complete(deps: TriggerDeps, appId: string, claim: IdempotencyRecord) {
  await deps.store
    .completeIdempotencyKey(appId, claim.key, claim.event_id)
    .catch((error: unknown) => deps.onError?.("idempotency key not marked answered", error));
}

/** Lets a retry take the claim over now rather than after its lease; if this fails, it waits. */
async function endLease(deps: TriggerDeps, appId: string, claim: IdempotencyRecord) {
  const ended = { ...claim, lease_until: deps.clock.now().toISOString() };
  await deps.store
    .replaceIdempotencyClaim(appId, claim, ended, IDEMPOTENCY_WINDOW_MS)
    .catch((error: unknown) => deps.onError?.("idempotency claim's lease not ended", error));
}

/** Removes what a refused trigger wrote, so nothing is half-stored. */
async function undo(
  store: EventStore & IdempotencyStore,
  event: StoredEvent,
  claim: IdempotencyRecord | null,
) {
  await Promise.allSettled([
    store.deleteEvent(event.app_id, event.event_id),
    claim === null ? Promise.resolve() : store.releaseIdempotencyKey(event.app_id, claim.key),
  ]);
}
