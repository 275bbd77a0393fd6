import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { EventPublisher } from "../functions/core/ports.ts";

/**
 * Faults the local runtime can be told to inject (`SWITCHYARD_FAULTS`), to watch Switchyard's
 * guarantees at work: an event survives a fan-out that fails, and a runtime killed in the
 * middle of a trigger.
 *
 * - `fanout-fails=N`: the fan-out fails every event on its first N receives (`always`: on
 *   every receive, so events end in the fan-out DLQ);
 * - `crash=before-publish` / `crash=after-publish`: the process kills itself (SIGKILL) in a
 *   trigger, just before or just after the event is handed to the bus.
 */
export interface Faults {
  fanOutFailures: number;
  crash: "before-publish" | "after-publish" | null;
}

export const NO_FAULTS: Faults = { fanOutFailures: 0, crash: null };

/** Reads `SWITCHYARD_FAULTS`; anything it does not know is an error naming it. */
export function parseFaults(raw: string | undefined): Faults {
  const faults = { ...NO_FAULTS };
  for (const part of (raw ?? "").split(",").map((item) => item.trim())) {
    if (part === "") continue;
    const [name, value = ""] = part.split("=", 2);
    if (name === "fanout-fails" && (value === "always" || /^\d+$/.test(value))) {
      faults.fanOutFailures = value === "always" ? Number.POSITIVE_INFINITY : Number(value);
    } else if (name === "crash" && (value === "before-publish" || value === "after-publish")) {
      faults.crash = value;
    } else {
      throw new Error(
        `SWITCHYARD_FAULTS: "${part}" is not a fault (fanout-fails=N|always, crash=before-publish|after-publish)`,
      );
    }
  }
  return faults;
}

type Invoke = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** The fan-out, failing each record on its first `failures` receives without running it. */
export function failingFanOut(invoke: Invoke, failures: number): Invoke {
  if (failures === 0) return invoke;
  return async (event) => {
    const failing = event.Records.filter(
      (record) => Number(record.attributes?.ApproximateReceiveCount ?? 1) <= failures,
    );
    const passing = event.Records.filter((record) => !failing.includes(record));
    const { batchItemFailures } =
      passing.length > 0 ? await invoke({ Records: passing }) : { batchItemFailures: [] };
    return {
      batchItemFailures: [
        ...failing.map((record) => ({ itemIdentifier: record.messageId })),
        ...batchItemFailures,
      ],
    };
  };
}

/** The trigger's publisher, killing the process around the hand-off when told to. */
export function crashingPublisher(publisher: EventPublisher, crash: Faults["crash"]) {
  if (crash === null) return publisher;
  const die = () => process.kill(process.pid, "SIGKILL");
  return {
    async publish(events) {
      if (crash === "before-publish") die();
      await publisher.publish(events);
      if (crash === "after-publish") die();
    },
    async publishEach(events) {
      if (crash === "before-publish") die();
      const outcomes = await publisher.publishEach(events);
      if (crash === "after-publish") die();
      return outcomes;
    },
  } satisfies EventPublisher;
}
