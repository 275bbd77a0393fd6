/**
 * `npm run bench` (second part): how many emulator calls one delivered event costs — each
 * DynamoDB, SQS and EventBridge operation the handlers make, counted where the emulators
 * receive them (the SDK's `x-amz-target` header), per event: for one subscription whose
 * deliveries all succeed on their first attempt, and for one whose receiver fails every
 * attempt, until all its deliveries are dead-lettered. Runs the runtime in this process.
 * Prints figures; asserts nothing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { type IncomingMessage, Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startReceiver, type TestReceiver } from "../test/support/receiver.ts";

const EVENTS = 100;
/** At most 100, so one page of the DLQ shows them all. */
const FAILING_EVENTS = 40;
const PARALLEL = 10;

const counts = new Map<string, number>();
const emit = Server.prototype.emit;
Server.prototype.emit = function (this: Server, event: string, ...args: unknown[]) {
  if (event === "request") {
    const target = (args[0] as IncomingMessage).headers["x-amz-target"];
    if (typeof target === "string") {
      const operation = target
        .replace(/^DynamoDB_\d+\./, "DynamoDB ")
        .replace(/^AmazonSQS\./, "SQS ")
        .replace(/^AWSEvents\./, "EventBridge ");
      counts.set(operation, (counts.get(operation) ?? 0) + 1);
    }
  }
  return Reflect.apply(emit, this, [event, ...args]);
} as Server["emit"];

process.env.POWERTOOLS_LOG_LEVEL = "ERROR";
process.env.POWERTOOLS_METRICS_DISABLED = "true";
const { localSettings } = await import("../local/settings.ts");
const { startRuntime } = await import("../local/runtime.ts");

await countCalls({
  title: `per delivered event (${EVENTS} events, one subscription, first attempts succeed)`,
  events: EVENTS,
  receiverAnswers: { status: 200, body: "ok" },
  settings: {},
});
// Quick retries and a 1 s timeout, so every delivery is dead-lettered within seconds.
await countCalls({
  title: `per dead-lettered event (${FAILING_EVENTS} events, one subscription whose receiver answers 500: retries, pausing, the slow lane, dead letters and their notices)`,
  events: FAILING_EVENTS,
  receiverAnswers: { status: 500 },
  settings: { SWITCHYARD_RETRY_BASE_SECONDS: "0.2", SWITCHYARD_DELIVERY_TIMEOUT_SECONDS: "1" },
});

interface Scenario {
  title: string;
  events: number;
  receiverAnswers: TestReceiver["respond"];
  settings: Record<string, string>;
}

async function countCalls(scenario: Scenario) {
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
  );
  const call = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${runtime.apiUrl}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "x-api-key": runtime.app.apiKey, "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  await call("/api/v2/events", { name: "Bench", sample_payload: {} });
  await call("/api/v2/webhooks", { url: receiver.url, events: ["bench"] });
  // The set-up's own platform event is delivered nowhere, but let it pass before counting.
  await sleep(1_500);
  receiver.requests.length = 0;
  receiver.respond = scenario.receiverAnswers;
  counts.clear();

  const started = Date.now();
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
  const succeeding = scenario.receiverAnswers !== "hang" && scenario.receiverAnswers.status < 300;
  let polls = 0;
  if (succeeding) {
    while (receiver.requests.length < scenario.events) await sleep(5);
  } else {
    for (polls = 1; (await deadLetters()) < scenario.events; polls++) await sleep(1_000);
  }
  const elapsedSeconds = (Date.now() - started) / 1000;
  // Let the last deletes land.
  await sleep(300);
  const snapshot = new Map(counts);
  if (polls > 0) {
    // The polls of the DLQ made calls of their own: count one on the idle runtime, take them off.
    counts.clear();
    await deadLetters();
    for (const [operation, count] of counts) {
      snapshot.set(operation, (snapshot.get(operation) ?? 0) - polls * count);
    }
  }
  await runtime.stop();
  await receiver.close();
  rmSync(dataDir, { recursive: true, force: true });
  report(scenario, snapshot, elapsedSeconds);

  async function deadLetters(): Promise<number> {
    const answer = await call("/api/v2/dlq?limit=100");
    return ((await answer.json()) as { data: unknown[] }).data.length;
  }
}

function report(scenario: Scenario, snapshot: Map<string, number>, elapsedSeconds: number) {
  const perEvent = (operation: string) => (snapshot.get(operation) ?? 0) / scenario.events;
  const rows = [...snapshot.keys()]
    .filter((operation) => !operation.endsWith("ReceiveMessage"))
    .sort();
  console.log(`emulator calls ${scenario.title}:`);
  for (const operation of rows)
    console.log(`  ${operation.padEnd(32)} ${perEvent(operation).toFixed(2)}`);
  const total = rows.reduce((sum, operation) => sum + perEvent(operation), 0);
  console.log(`  ${"total (without receives)".padEnd(32)} ${total.toFixed(2)}`);
  const receives = [...snapshot.keys()].filter((operation) => operation.endsWith("ReceiveMessage"));
  const receiveCount = receives.reduce((sum, operation) => sum + (snapshot.get(operation) ?? 0), 0);
  console.log(
    `  SQS ReceiveMessage: ${receiveCount} in ${elapsedSeconds.toFixed(1)} s, idle long polls included (every poller asks at least once a second)`,
  );
}

function sleep(milliseconds: number) {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
