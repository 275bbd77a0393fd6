import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import { EVENT_SOURCE } from "../core/bus-rules.ts";
import type { RoutedEvent } from "../core/model.ts";
import type { EventPublisher } from "../core/ports.ts";
import { type Pause, sendResendingFailures, sleep } from "./resend-failures.ts";

/** PutEvents takes at most 10 entries a call. */
const BATCH_SIZE = 10;
/** An entry may be at most 256 KiB: source, detail-type and detail as UTF-8, plus its time. */
const MAX_ENTRY_BYTES = 256 * 1024;
/** EventBridge counts an entry's Time as 14 bytes. */
const TIME_BYTES = 14;

/**
 * The EventBridge publisher. A payload too large for an entry travels by reference: the
 * event is in the store already, and the fan-out reads it from there.
 */
export function createEventPublisher(
  client: EventBridgeClient,
  busName: string,
  pause: Pause = sleep,
): EventPublisher {
  return {
    async publish(events) {
      const entries = events.map((event) => toEntry(event, busName));
      for (let start = 0; start < entries.length; start += BATCH_SIZE) {
        await putWithRetries(client, entries.slice(start, start + BATCH_SIZE), pause);
      }
    },
  };
}

async function putWithRetries(
  client: EventBridgeClient,
  entries: PutEventsRequestEntry[],
  pause: Pause,
): Promise<void> {
  await sendResendingFailures(
    entries,
    async (pending) => {
      const result = await client.send(new PutEventsCommand({ Entries: pending }));
      if (!result.FailedEntryCount) return { failed: [] };
      return {
        failed: pending.filter((_, index) => result.Entries?.[index]?.ErrorCode),
        reason: result.Entries?.find((entry) => entry.ErrorCode)?.ErrorMessage,
      };
    },
    "EventBridge",
    pause,
  );
}

function toEntry(event: RoutedEvent, busName: string): PutEventsRequestEntry {
  const source = event.platform ? EVENT_SOURCE.platform : EVENT_SOURCE.app;
  let detail = JSON.stringify(event);
  if (TIME_BYTES + entryBytes(source, event.type, detail) > MAX_ENTRY_BYTES) {
    const { payload: _stored, ...reference } = event;
    detail = JSON.stringify(reference);
  }
  return {
    EventBusName: busName,
    Source: source,
    DetailType: event.type,
    Detail: detail,
    Time: new Date(event.timestamp),
  };
}

function entryBytes(...parts: string[]): number {
  return parts.reduce((sum, part) => sum + Buffer.byteLength(part, "utf8"), 0);
}
