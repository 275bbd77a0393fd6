/**
 * `npm run bench` (second part): what one event costs, counted on the local runtime running in
 * this process. Per event: each DynamoDB, SQS and EventBridge call the emulators receive, and
 * what AWS would bill for what the handlers did (DynamoDB write and read units by table, index
 * and item kind, the hottest partition keys, SQS requests, EventBridge events, Lambda
 * invocations, API requests; see `capacity-meter.ts`), then the cost of a million events at
 * list prices. Four scenarios, each with one subscription: every delivery succeeds on its
 * first attempt, triggered one event a request and then through the batch route; the same with
 * one workflow beside the subscription (each event also runs it, and reports the run); and a
 * receiver that fails every attempt, until all its deliveries are dead-lettered. Prints
 * figures; asserts nothing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Answer, startReceiver } from "../test/support/receiver.ts";
import { CapacityMeter } from "./capacity-meter.ts";
import { printCalls, printCosts, printUnits, type ScenarioCounts } from "./cost-report.ts";
import { printStorage, storedBytes } from "./storage-per-event.ts";
import { subtract, type Tally } from "./tally.ts";

/**
 * Enough that the hottest shard's share is the hash's even spread and not the luck of a few
 * events: with 32 shards a shard's expected share is 1/32 and, over 400 events, the hottest of
 * them is within about half of that.
 */
const EVENTS = 400;
/** At most 100, so one page of the DLQ shows them all. */
const FAILING_EVENTS = 40;
const PARALLEL = 10;
const BATCH_SIZE = 50;
/** No billable step for this long: the runtime has finished with the scenario's events. */
const QUIET_MS = 1_000;

// Before the runtime is loaded, so every client, server and handler it makes is metered.
const meter = new CapacityMeter().install();

process.env.POWERTOOLS_LOG_LEVEL = "ERROR";
process.env.POWERTOOLS_METRICS_DISABLED = "true";
const { localSettings } = await import("../local/settings.ts");
const { startRuntime } = await import("../local/runtime.ts");

interface Scenario {
  /** The cost table's column. */
  title: string;
  description: string;
  unit: string;
  events: number;
  trigger: "single" | "batch";
  receiverAnswers: Answer;
  settings: Record<string, string>;
  /** A workflow whose action posts to the same receiver, beside the subscription. */
  workflow?: boolean;
  /** More fields of the subscription (SPEC §3.1). */
  subscription?: Record<string, unknown>;
}

const results: ScenarioCounts[] = [];
results.push(
  await measure({
    title: "single trigger",
    description: `${EVENTS} events one a request, one subscription, first attempts succeed`,
    unit: "delivered event",
    events: EVENTS,
    trigger: "single",
    receiverAnswers: { status: 200, body: "ok" },
    settings: {},
  }),
);
results.push(
  await measure({
    title: `batch trigger (${BATCH_SIZE})`,
    description: `${EVENTS} events through the batch route, ${BATCH_SIZE} a request, one subscription, first attempts succeed`,
    unit: "delivered event",
    events: EVENTS,
    trigger: "batch",
    receiverAnswers: { status: 200, body: "ok" },
    settings: {},
  }),
);
results.push(
  await measure({
    title: "with a workflow",
    description: `${EVENTS} events one a request, one subscription and one workflow, first attempts succeed`,
    unit: "event (a webhook and a workflow run)",
    events: EVENTS,
    trigger: "single",
    receiverAnswers: { status: 200, body: "ok" },
    settings: {},
    workflow: true,
  }),
);
results.push(
  await measure({
    title: "ordered",
    description: `${EVENTS} events one a request, one ordered subscription (the FIFO lane), first attempts succeed`,
    unit: "delivered event",
    events: EVENTS,
    trigger: "single",
    receiverAnswers: { status: 200, body: "ok" },
    settings: {},
    subscription: { ordered: true },
  }),
);
// Quick retries and a 1 s timeout, so every delivery is dead-lettered within seconds.
results.push(
  await measure({
    title: "dead-lettered",
    description: `${FAILING_EVENTS} events, one subscription whose receiver answers 500: retries, pausing, the slow lane, dead letters and their notices`,
    unit: "dead-lettered event",
    events: FAILING_EVENTS,
    trigger: "single",
    receiverAnswers: { status: 500 },
    settings: { SWITCHYARD_RETRY_BASE_SECONDS: "0.2", SWITCHYARD_DELIVERY_TIMEOUT_SECONDS: "1" },
  }),
);
printCosts(results);
meter.uninstall();

async function measure(scenario: Scenario): Promise<ScenarioCounts> {
  const dataDir = mkdtempSync(join(tmpdir(), "switchyard-bench-calls-"));
  const receiver = await startReceiver();
  const runtime = await startRuntime(
    localSettings({
      ...process.env,
      ...scenario.settings,
      PORT: "0",
      SWITCHYARD_DATA_DIR: dataDir,
    }),
    (error) => console.error("runtime:", error),
    { emulators: "inline" },
  );
  meter.apiPort = Number(new URL(runtime.apiUrl).port);
  const call = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${runtime.apiUrl}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "x-api-key": runtime.app.apiKey, "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  await call("/api/v2/events", { name: "Bench", sample_payload: {} });
  await call("/api/v2/webhooks", {
    url: receiver.url,
    events: ["bench"],
    ...scenario.subscription,
  });
  if (scenario.workflow) {
    await call("/api/v2/workflows", {
      name: "Bench",
      event: "bench",
      action: { type: "http", url: receiver.url, body: { n: "{{payload.n}}" } },
    });
  }
  const requestsPerEvent = scenario.workflow ? 2 : 1;
  // The set-up's own platform event is delivered nowhere, but let it pass before counting.
  await waitForQuiet();
  receiver.requests.length = 0;
  receiver.respond = scenario.receiverAnswers;
  meter.reset();

  const started = Date.now();
  if (scenario.trigger === "single") {
    for (let sent = 0; sent < scenario.events; sent += PARALLEL) {
      await Promise.all(
        Array.from({ length: PARALLEL }, (_, index) =>
          call(
            "/api/v2/public/event/bench",
            { payload: { n: sent + index } },
            { linked_account_id: "b" },
          ),
        ),
      );
    }
  } else {
    for (let sent = 0; sent < scenario.events; sent += BATCH_SIZE) {
      const events = Array.from({ length: BATCH_SIZE }, (_, index) => ({
        event: "bench",
        payload: { n: sent + index },
      }));
      const answer = await call(
        "/api/v2/public/events/batch",
        { events },
        { linked_account_id: "b" },
      );
      const { data } = (await answer.json()) as { data?: { event_id?: string }[] };
      if (data?.some((item) => !item.event_id) !== false) {
        throw new Error(`the batch route refused events: ${JSON.stringify(data)}`);
      }
    }
  }
  const succeeding = scenario.receiverAnswers !== "hang" && scenario.receiverAnswers.status < 300;
  // The bench's own look-ups of the DLQ cost calls and units of their own: each is made while
  // the runtime is quiet, so what the meter counts meanwhile is the look-up's alone.
  let lookups: Tally = new Map();
  if (succeeding) {
    while (receiver.requests.length < scenario.events * requestsPerEvent) await sleep(5);
    await waitForQuiet();
  } else {
    for (;;) {
      await waitForQuiet();
      const before = meter.snapshot();
      const found = await deadLetters();
      lookups = subtract(lookups, subtract(before, meter.snapshot())); // += after − before
      if (found >= scenario.events) break;
    }
  }
  const elapsedSeconds = (Date.now() - started) / 1000;
  // Receives go on by themselves whatever the bench does: they are not the look-ups'.
  const tally = subtract(
    meter.snapshot(),
    lookups,
    (key) => !/ReceiveMessage|^receive\t/.test(key),
  );
  // After the tally: the scan is the bench's, not the pipeline's.
  const stored = await storedBytes(dataDir, localSettings(process.env).functions.tableName);
  await runtime.stop();
  await receiver.close();
  rmSync(dataDir, { recursive: true, force: true });

  const counts: ScenarioCounts = {
    title: scenario.title,
    unit: scenario.unit,
    events: scenario.events,
    elapsedSeconds,
    tally,
  };
  printCalls({ ...counts, title: scenario.description });
  printUnits(counts);
  printStorage(stored, scenario.events, ["event", "delivery", "idempotency_key"]);
  console.log();
  return counts;

  async function deadLetters(): Promise<number> {
    const answer = await call("/api/v2/dlq?limit=100");
    return ((await answer.json()) as { data: unknown[] }).data.length;
  }
}

/** Resolves once the meter has counted no billable step for `QUIET_MS`. */
async function waitForQuiet() {
  let seen = meter.activity;
  let since = Date.now();
  while (Date.now() - since < QUIET_MS) {
    await sleep(50);
    if (meter.activity !== seen) {
      seen = meter.activity;
      since = Date.now();
    }
  }
}

function sleep(milliseconds: number) {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
