import pLimit from "p-limit";
import type { Clock } from "../clock.ts";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import { Conflict, NotFound } from "../errors.ts";
import { isId } from "../ids.ts";
import type { RoutedEvent } from "../model.ts";
import type { EventPublisher, EventStore, StoredEvent, SubscriptionStore } from "../ports.ts";
import { subscriptionReceives } from "../routing.ts";
import { webhookReplayBody } from "../schemas.ts";
import { parseInput } from "../validation.ts";

export interface ReplayDeps {
  store: EventStore & SubscriptionStore;
  bus: EventPublisher;
  clock: Clock;
}

/** Events one replay to a subscription sends at most (SPEC §2.5). */
const REPLAY_BATCH = 100;
/**
 * Reads of the event log one replay to a subscription makes, at most, each of about 100
 * events: a subscription that matches few of an app's events still gets an answer well within
 * API Gateway's 30 s, and a cursor to go on with.
 */
const REPLAY_READS = 10;
/** Replay numbers one call takes at once. */
const WRITES_IN_FLIGHT = 16;

/**
 * `POST /api/v2/events/{event_id}/replay` (SPEC §2.5): the stored event goes on the bus again,
 * numbered, as if just triggered: the fan-out and the workflow runner route it to what matches
 * now, with new delivery ids (derived from the replay number, SPEC §1), so receivers see new
 * `webhook-id`s. A bus rerun of one replay still makes no second delivery.
 */
export async function replayEvent(deps: ReplayDeps, appId: string, eventId: string) {
  const event = isId("event", eventId) ? await deps.store.getEvent(appId, eventId) : null;
  const [replayed] = event ? await numbered(deps, appId, [event]) : [];
  if (!replayed?.replay) throw new NotFound(`event "${eventId}" not found`);
  await deps.bus.publish([replayed]);
  return { event_id: eventId, replay: replayed.replay };
}

/**
 * `POST /api/v2/webhooks/{id}/replay` (SPEC §2.5): the app's stored events of a window that the
 * subscription receives now (its event types, linked accounts and filter), oldest first, at
 * most 100 a call, each replayed to it alone — numbered as an event replay is, so each makes a
 * new delivery, and marked `replay_to` so the fan-out routes it to this subscription only and
 * no workflow runs for it. A disabled subscription receives nothing, so replaying to it is a
 * 409 rather than an answer of none. A call that fails part-way may have replayed some of its
 * events: calling it again replays them again.
 */
export async function replayToWebhook(
  deps: ReplayDeps,
  appId: string,
  webhookId: string,
  input: unknown,
) {
  const body = parseInput(webhookReplayBody, input ?? {});
  const subscription = isId("subscription", webhookId)
    ? await deps.store.getSubscription(appId, webhookId, true)
    : null;
  if (!subscription) throw new NotFound(`webhook "${webhookId}" not found`);
  if (!subscription.enabled) {
    throw new Conflict(`webhook "${webhookId}" is disabled: enable it, then replay to it`);
  }
  // The cursor is bound to the app, the subscription and the window as asked, and carries the
  // window's end: without `until`, the time of the first call, so events triggered while a
  // client pages (delivered live anyway) are not replayed too, and the paging ends.
  const scope = JSON.stringify([appId, webhookId, body.since, body.until ?? null]);
  const resumed =
    body.cursor === undefined
      ? undefined
      : positionOf(
          decodeCursor(body.cursor, scope, (p) => positionOf(p) !== undefined, BAD_CURSOR),
        );
  const until =
    resumed?.until ?? (body.until === undefined ? deps.clock.now() : new Date(body.until));
  const window = { since: new Date(body.since), until };
  let after = resumed?.after;
  const chosen: StoredEvent[] = [];
  let more = true;
  for (let reads = 0; more && chosen.length < REPLAY_BATCH && reads < REPLAY_READS; reads++) {
    const page = await deps.store.oldestEvents(appId, window, REPLAY_BATCH, after);
    let stoppedEarly = false;
    for (const event of page.events) {
      if (chosen.length === REPLAY_BATCH) {
        stoppedEarly = true;
        break;
      }
      after = event.event_id;
      if (subscriptionReceives(subscription, event, event.payload)) chosen.push(event);
    }
    if (!stoppedEarly) after = page.next ?? after;
    more = stoppedEarly || page.next !== undefined;
  }
  const replays = (await numbered(deps, appId, chosen))
    .filter((event) => event.replay !== undefined)
    .map((event) => ({ ...event, replay_to: webhookId }));
  await deps.bus.publish(replays);
  return {
    replayed: replays.length,
    next_cursor:
      more && after !== undefined ? encodeCursor(scope, `${after}@${until.getTime()}`) : null,
  };
}

const BAD_CURSOR = "cursor is not one this replay answered";

/** A replay cursor's position: the last event looked at, and the window's end (epoch ms). */
function positionOf(position: string): { after: string; until: Date } | undefined {
  const [after = "", until = "", ...rest] = position.split("@");
  if (rest.length > 0 || !isId("event", after) || !/^\d{1,15}$/.test(until)) return undefined;
  return { after, until: new Date(Number(until)) };
}

/** The events, each with the number of this replay of it; without one when it is gone. */
function numbered(deps: ReplayDeps, appId: string, events: StoredEvent[]): Promise<RoutedEvent[]> {
  const limit = pLimit(WRITES_IN_FLIGHT);
  return Promise.all(
    events.map((event) =>
      limit(async () => {
        const replay = await deps.store.nextReplay(appId, event.event_id);
        return replay === null ? event : { ...event, replay };
      }),
    ),
  );
}
