import type { Clock } from "../clock.ts";
import { newId } from "../ids.ts";
import type { JsonObject } from "../json.ts";
import type { RoutedEvent } from "../model.ts";
import type { PlatformEventType } from "../platform-events.ts";

/** A platform event (SPEC §4), ready for the bus; it carries no linked account. */
export function platformEvent(
  appId: string,
  type: PlatformEventType,
  data: JsonObject,
  clock: Clock,
  linkedAccountId: string | null = null,
): RoutedEvent {
  const now = clock.now();
  return {
    v: 1,
    app_id: appId,
    event_id: newId("event", now.getTime()),
    type,
    platform: true,
    linked_account_id: linkedAccountId,
    timestamp: now.toISOString(),
    payload: data,
  };
}
