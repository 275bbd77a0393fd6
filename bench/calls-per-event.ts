/**
 * `npm run bench` (second part): how many emulator calls one delivered event costs — each
 * DynamoDB, SQS and EventBridge operation the handlers make, counted where the emulators
 * receive them (the SDK's `x-amz-target` header), per event, for one subscription whose
 * deliveries all succeed on their first attempt. Runs the runtime in this process. Prints
 * figures; asserts nothing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { type IncomingMessage, Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startReceiver } from "../test/support/receiver.ts";

const EVENTS = 100;
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
const dataDir = mkdtempSync(join(tmpdir(), "switchyard-bench-calls-"));
const { localSettings } = await import("../local/settings.ts");
const { startRuntime } = await import("../local/runtime.ts");
const receiver = await startReceiver();
const runtime = await startRuntime(
  localSettings({ ...process.env, PORT: "0", SWITCHYARD_DATA_DIR: dataDir }),
  (error) => console.error("runtime:", error),
);
const call = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${runtime.apiUrl}${path}`, {
    method: "POST",
    headers: { "x-api-key": runtime.app.apiKey, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
await call("/api/v2/events", { name: "Bench", sample_payload: {} });
await call("/api/v2/webhooks", { url: receiver.url, events: ["bench"] });
// The set-up's own platform event is delivered nowhere, but let it pass before counting.
await sleep(1_500);
receiver.requests.length = 0;
counts.clear();

const started = Date.now();
for (let sent = 0; sent < EVENTS; sent += PARALLEL) {
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
while (receiver.requests.length < EVENTS) await sleep(5);
const elapsedSeconds = (Date.now() - started) / 1000;
// Let the last deletes land.
await sleep(300);
const snapshot = new Map(counts);
await runtime.stop();
await receiver.close();
rmSync(dataDir, { recursive: true, force: true });

const perEvent = (operation: string) => (snapshot.get(operation) ?? 0) / EVENTS;
const rows = [...snapshot.keys()]
  .filter((operation) => !operation.endsWith("ReceiveMessage"))
  .sort();
console.log(
  `emulator calls per delivered event (${EVENTS} events, one subscription, first attempts succeed):`,
);
for (const operation of rows)
  console.log(`  ${operation.padEnd(32)} ${perEvent(operation).toFixed(2)}`);
const total = rows.reduce((sum, operation) => sum + perEvent(operation), 0);
console.log(`  ${"total (without receives)".padEnd(32)} ${total.toFixed(2)}`);
const receives = [...snapshot.keys()].filter((operation) => operation.endsWith("ReceiveMessage"));
const receiveCount = receives.reduce((sum, operation) => sum + (snapshot.get(operation) ?? 0), 0);
console.log(
  `  SQS ReceiveMessage: ${receiveCount} in ${elapsedSeconds.toFixed(1)} s, idle long polls included (every poller asks at least once a second)`,
);

function sleep(milliseconds: number) {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
