import type { Clock } from "../clock.ts";
import { NotFound } from "../errors.ts";
import { isId } from "../ids.ts";
import type { EventPublisher, EventStore } from "../ports.ts";

export interface ReplayDeps {
  store: EventStore;
  bus: EventPublisher;
  clock: Clock;
}

/**
 * `POST /api/v2/events/{event_id}/replay` (SPEC §2.5): the stored event goes on the bus again,
 * numbered, as if just triggered: the fan-out and the workflow runner route it to what matches
 * now, with new delivery ids (derived from the replay number, SPEC §1), so receivers see new
 * `webhook-id`s. A bus rerun of one replay still makes no second delivery.
 */
export async function replayEvent(deps: ReplayDeps, appId: string, eventId: string) {
  const event = isId("event", eventId) ? await deps.store.getEvent(appId, eventId) : null;
  const replay = event && (await deps.store.nextReplay(appId, eventId));
  if (!event || !replay) throw new NotFound(`event "${eventId}" not found`);
  await deps.bus.publish([{ ...event, replay }]);
  return { event_id: eventId, replay };
}
