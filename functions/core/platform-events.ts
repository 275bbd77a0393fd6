/** Event types Switchyard emits itself (SPEC §4). */
export const PLATFORM_EVENT_TYPES = [
  "workflow.completed",
  "workflow.errored",
  "delivery.dead_lettered",
  "event_definition.changed",
  "webhook.disabled",
] as const;

export type PlatformEventType = (typeof PLATFORM_EVENT_TYPES)[number];

export function isPlatformEventType(type: string): type is PlatformEventType {
  return (PLATFORM_EVENT_TYPES as readonly string[]).includes(type);
}

/** Subscribing to this receives every app event and every platform event. */
export const ALL_EVENTS = "*";
