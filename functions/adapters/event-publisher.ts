import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import { EVENT_SOURCE } from "../core/bus-rules.ts";
import type { RoutedEvent } from "../core/model.ts";
import { type EventPublisher, PublishRejected } from "../core/ports.ts";
import { ATTEMPTS, type Pause, sleep } from "./resend-failures.ts";

/** PutEvents takes at most 10 entries a call. */
const BATCH_SIZE = 10;
/**
 * An entry may be at most 256 KiB (source, detail-type and detail as UTF-8, plus its time), and
 * so may all the entries of one call together.
 */
const MAX_ENTRY_BYTES = 256 * 1024;
/** EventBridge counts an entry's Time as 14 bytes. */
const TIME_BYTES = 14;
/** The entry error codes AWS documents as retryable; any other refuses the entry for good. */
const RETRYABLE_ERRORS = new Set(["InternalFailure", "ThrottlingException"]);

/**
 * The EventBridge publisher. A payload too large for an entry travels by reference: the
 * event is in the store already, and the fan-out reads it from there.
 *
 * It throws `PublishRejected` only when EventBridge answered that it refused every entry of the
 * call with a non-retryable error code. Anything else that goes wrong (the call throws: a
 * timeout, a network error, a 5xx, throttling the SDK's retries did not clear; or retryable
 * entry failures remain after the resends) may have left entries on the bus, and is thrown as
 * it is.
 */
export function createEventPublisher(
  client: EventBridgeClient,
  busName: string,
  pause: Pause = sleep,
): EventPublisher {
  return {
    async publishEach(events) {
      const outcomes: (Error | undefined)[] = [];
      for (const call of inCalls(events.map((event) => toEntry(event, busName)))) {
        outcomes.push(...(await putEach(client, call, pause)).outcomes);
      }
      return outcomes;
    },

    async publish(events) {
      const calls = inCalls(events.map((event) => toEntry(event, busName)));
      for (const [index, call] of calls.entries()) {
        const { outcomes, reason } = await putEach(client, call, pause);
        const failures = outcomes.filter((outcome) => outcome !== undefined);
        if (failures.length === 0) continue;
        const unknown = failures.find((failure) => !(failure instanceof PublishRejected));
        if (unknown) throw unknown; // some may have been taken
        const message = `EventBridge refused ${failures.length} entries: ${reason}`;
        // Only when nothing went through is the whole publish a refusal.
        throw index === 0 && failures.length === call.length
          ? new PublishRejected(message)
          : new Error(message);
      }
    },
  };
}

/**
 * One call's entries: sends them, then again only those that failed with a retryable code,
 * with a short exponential backoff, and answers each entry's own outcome — taken (undefined),
 * refused for good (`PublishRejected`), or unknown (the call threw, or the entry kept failing:
 * it may have been taken) — and the last failure's reason. PutEvents answers 200 with
 * per-entry failures, which must not be mistaken for success.
 */
async function putEach(
  client: EventBridgeClient,
  entries: PutEventsRequestEntry[],
  pause: Pause,
): Promise<{ outcomes: (Error | undefined)[]; reason: string }> {
  const outcomes = new Map<number, Error | undefined>();
  let reason = "";
  let pending = entries.map((_, index) => index);
  for (let attempt = 1; attempt <= ATTEMPTS && pending.length > 0; attempt++) {
    if (attempt > 1) await pause(50 * 2 ** attempt);
    let result: PutEventsCommandOutput;
    try {
      result = await client.send(
        new PutEventsCommand({
          Entries: pending.map((index) => entries[index] as PutEventsRequestEntry),
        }),
      );
    } catch (error) {
      for (const index of pending) outcomes.set(index, error as Error);
      pending = [];
      break;
    }
    if (!result.FailedEntryCount) {
      for (const index of pending) outcomes.set(index, undefined);
      pending = [];
      break;
    }
    const next: number[] = [];
    pending.forEach((index, position) => {
      const answer = result.Entries?.[position];
      const code = answer?.ErrorCode;
      if (!code) {
        outcomes.set(index, undefined);
        return;
      }
      reason = `${code}: ${answer?.ErrorMessage}`;
      if (retryable(code)) next.push(index);
      else outcomes.set(index, new PublishRejected(`EventBridge refused the entry: ${reason}`));
    });
    pending = next;
  }
  for (const index of pending) {
    outcomes.set(index, new Error(`EventBridge refused the entry ${ATTEMPTS} times: ${reason}`));
  }
  return { outcomes: entries.map((_, index) => outcomes.get(index)), reason };
}

function retryable(code: string | undefined): code is string {
  return code !== undefined && RETRYABLE_ERRORS.has(code);
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

/** The entries in calls of at most 10 entries and 256 KiB, in order. */
function inCalls(entries: PutEventsRequestEntry[]): PutEventsRequestEntry[][] {
  const calls: PutEventsRequestEntry[][] = [];
  let call: PutEventsRequestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size =
      TIME_BYTES + entryBytes(entry.Source ?? "", entry.DetailType ?? "", entry.Detail ?? "");
    // AWS: the entries of one call must total less than 256 KB.
    if (call.length === BATCH_SIZE || (call.length > 0 && bytes + size >= MAX_ENTRY_BYTES)) {
      calls.push(call);
      call = [];
      bytes = 0;
    }
    call.push(entry);
    bytes += size;
  }
  if (call.length > 0) calls.push(call);
  return calls;
}

function entryBytes(...parts: string[]): number {
  return parts.reduce((sum, part) => sum + Buffer.byteLength(part, "utf8"), 0);
}
