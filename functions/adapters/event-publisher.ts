import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import { EVENT_SOURCE } from "../core/bus-rules.ts";
import type { RoutedEvent } from "../core/model.ts";
import { type EventPublisher, PublishRejected } from "../core/ports.ts";
import { ATTEMPTS, type Pause, sendResendingFailures, sleep } from "./resend-failures.ts";

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
      const entries = events.map((event) => toEntry(event, busName));
      const outcomes: (Error | undefined)[] = [];
      for (const call of inCalls(entries)) {
        outcomes.push(...(await putEach(client, call, pause)));
      }
      return outcomes;
    },

    async publish(events) {
      const batches = inCalls(events.map((event) => toEntry(event, busName)));
      for (const [index, batch] of batches.entries()) {
        const { refused, reason } = await putWithRetries(client, batch, pause);
        if (refused.length === 0) continue;
        const message = `EventBridge refused ${refused.length} entries: ${reason}`;
        // Only when nothing went through is the whole publish a refusal.
        throw index === 0 && refused.length === batch.length
          ? new PublishRejected(message)
          : new Error(message);
      }
    },
  };
}

async function putWithRetries(
  client: EventBridgeClient,
  entries: PutEventsRequestEntry[],
  pause: Pause,
) {
  let reason: string | undefined;
  const refused = await sendResendingFailures(
    entries,
    async (pending) => {
      const result = await client.send(new PutEventsCommand({ Entries: pending }));
      if (!result.FailedEntryCount) return { failed: [] };
      const codes = pending.map((_, index) => result.Entries?.[index]?.ErrorCode);
      const failure = result.Entries?.find((entry) => entry.ErrorCode);
      reason = `${failure?.ErrorCode}: ${failure?.ErrorMessage}`;
      return {
        failed: pending.filter((_, index) => retryable(codes[index])),
        refused: pending.filter((_, index) => codes[index] && !retryable(codes[index])),
        reason,
      };
    },
    "EventBridge",
    pause,
  );
  return { refused, reason };
}

/**
 * One call's entries, resending the retryable failures as `putWithRetries` does, and answering
 * each entry's own outcome: taken (undefined), refused for good, or unknown (the call threw, or
 * the entry kept failing: it may have been taken).
 */
async function putEach(
  client: EventBridgeClient,
  entries: PutEventsRequestEntry[],
  pause: Pause,
): Promise<(Error | undefined)[]> {
  const outcomes = new Map<number, Error | undefined>();
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
      if (!code) outcomes.set(index, undefined);
      else if (retryable(code)) next.push(index);
      else {
        outcomes.set(
          index,
          new PublishRejected(`EventBridge refused the entry: ${code}: ${answer?.ErrorMessage}`),
        );
      }
    });
    pending = next;
  }
  for (const index of pending) {
    outcomes.set(index, new Error(`EventBridge kept failing the entry after ${ATTEMPTS} tries`));
  }
  return entries.map((_, index) => outcomes.get(index));
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
    if (call.length === BATCH_SIZE || (call.length > 0 && bytes + size > MAX_ENTRY_BYTES)) {
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
