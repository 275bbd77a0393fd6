import type { Clock } from "../clock.ts";
import { newId } from "../ids.ts";
import type { JsonObject } from "../json.ts";
import type { RoutedEvent } from "../model.ts";
import type { PlatformEventType } from "../platform-events.ts";

/**
 * A platform event (SPEC §4), ready for the bus. `eventId` makes it the same event when it is
 * emitted again by a retried step, so the fan-out makes no second delivery of it.
 */
export function platformEvent(
  appId: string,
  type: PlatformEventType,
  data: JsonObject,
  clock: Clock,
  options: { linkedAccountId?: string | null; eventId?: string } = {},
): RoutedEvent {
  const now = clock.now();
  return {
    v: 1,
    app_id: appId,
    event_id: options.eventId ?? newId("event", now.getTime()),
    type,
    platform: true,
    linked_account_id: options.linkedAccountId ?? null,
    timestamp: now.toISOString(),
    payload: data,
  };
}
