/**
 * `npm run bench`: measures the local runtime as a user meets it — how long `npm start`'s
 * program takes to answer /health, and how long a triggered event takes to reach a receiver
 * (one at a time, then many at once). Prints figures; asserts nothing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalRuntime } from "../test/support/local-runtime.ts";
import { startReceiver } from "../test/support/receiver.ts";

const STARTS = 3;
const SEQUENTIAL = 100;
const BURST = 300;

const receiver = await startReceiver();
const dataDir = mkdtempSync(join(tmpdir(), "switchyard-bench-"));

// Start-up: process spawn to the first 200 from /health, on a fresh and then a warm data dir.
const startups: number[] = [];
for (let run = 0; run < STARTS; run++) {
  const started = performance.now();
  const runtime = await startLocalRuntime({ SWITCHYARD_DATA_DIR: dataDir });
  while ((await fetch(`${runtime.url}/health`)).status !== 200) await sleep(10);
  startups.push(performance.now() - started);
  await runtime.stop("SIGTERM");
}
console.log(`start-up to /health 200: ${startups.map(ms).join(", ")} (first on an empty data dir)`);

const runtime = await startLocalRuntime({ SWITCHYARD_DATA_DIR: dataDir });
await runtime.call("POST", "/api/v2/events", { name: "Bench", sample_payload: {} });
await runtime.call("POST", "/api/v2/webhooks", { url: receiver.url, events: ["bench"] });
const trigger = (n: number) =>
  runtime.call(
    "POST",
    "/api/v2/public/event/bench",
    { payload: { n } },
    { linked_account_id: "bench" },
  );
const arrivals = new Map<number, number>();
const arrived = () => {
  for (const request of receiver.requests.splice(0)) {
    arrivals.set(JSON.parse(request.body).data.n, request.at);
  }
};

// One at a time: trigger → receipt.
const latencies: number[] = [];
for (let n = 0; n < SEQUENTIAL; n++) {
  const sent = Date.now();
  await trigger(n);
  while (!arrivals.has(n)) {
    await sleep(1);
    arrived();
  }
  latencies.push((arrivals.get(n) ?? sent) - sent);
}
console.log(`trigger → receipt, one at a time (${SEQUENTIAL}): ${summary(latencies)}`);

// A burst: everything triggered at once, until the last one arrives.
const burstStart = Date.now();
await Promise.all(Array.from({ length: BURST }, (_, index) => trigger(SEQUENTIAL + index)));
const accepted = Date.now() - burstStart;
while (arrivals.size < SEQUENTIAL + BURST) {
  await sleep(5);
  arrived();
}
const drained = Date.now() - burstStart;
console.log(
  `burst of ${BURST}: all accepted in ${ms(accepted)}, all received in ${ms(drained)} (${Math.round((BURST / drained) * 1000)} events/s)`,
);

await runtime.stop("SIGTERM");
await receiver.close();
rmSync(dataDir, { recursive: true, force: true });

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return `p50 ${ms(at(0.5))}, p95 ${ms(at(0.95))}, max ${ms(at(1))}`;
}

function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

function sleep(milliseconds: number) {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
