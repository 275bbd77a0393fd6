import pc from "picocolors";
import { type ApiTarget, callApi } from "./api-client.ts";
import { type DeliveryRow, lastAnswer, status } from "./output.ts";

/** Deliveries each look takes in: the newest, which is where new attempts land. */
const WINDOW = 200;

/**
 * `switchyard deliveries tail`: every `intervalMs`, looks at the newest deliveries and prints a
 * line for each attempt made since the last look (or a new delivery), until `signal` aborts.
 * What was there before the first look is not printed: it follows from now on. A delivery
 * retried after 200 newer ones were created is not seen.
 */
export async function tailDeliveries(
  target: ApiTarget,
  options: {
    json: boolean;
    intervalMs: number;
    signal: AbortSignal;
    print: (line: string) => void;
  },
): Promise<void> {
  const seen = new Map<string, string>();
  let first = true;
  while (!options.signal.aborted) {
    const page = (await callApi(target, "GET", `/api/v2/deliveries?limit=${WINDOW}`)) as {
      data: DeliveryRow[];
    };
    // Oldest first, so lines come in the order things happened.
    for (const delivery of [...page.data].reverse()) {
      const state = `${delivery.attempt_count}:${delivery.status}`;
      if (seen.get(delivery.id) === state) continue;
      seen.set(delivery.id, state);
      if (!first) options.print(options.json ? JSON.stringify(delivery) : line(delivery));
    }
    first = false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, options.intervalMs);
      options.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

function line(delivery: DeliveryRow): string {
  const answer = lastAnswer(delivery.last_attempt);
  return [
    pc.dim(delivery.updated_at),
    delivery.id,
    delivery.event_type,
    `${delivery.target.type} ${delivery.target.id}`,
    delivery.attempt_count === 0
      ? "queued"
      : `attempt ${delivery.attempt_count}${answer ? ` ${answer}` : ""}`,
    "→",
    status(delivery.status),
  ].join(" ");
}
