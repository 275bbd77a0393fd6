/**
 * `npm run bench` (throughput): `npm start`'s program in its own process, one subscription, and
 * two loads. First 32 clients trigger as fast as they are answered for 10 s: how many events a
 * second are accepted and delivered, and whether every accepted event arrives. Then a paced
 * 200 events a second for 10 s: the trigger's latency and trigger → receipt. Prints figures;
 * asserts nothing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalRuntime } from "../test/support/local-runtime.ts";
import { startReceiver } from "../test/support/receiver.ts";

const CLIENTS = 32;
const LOAD_SECONDS = 10;
/** `BENCH_RATE=50 node --import tsx bench/local-throughput.ts` paces at another rate. */
const PACED_RATE = Number(process.env.BENCH_RATE ?? 200);
const DRAIN_TIMEOUT_MS = 120_000;

const receiver = await startReceiver();
const dataDir = mkdtempSync(join(tmpdir(), "switchyard-bench-throughput-"));
const runtime = await startLocalRuntime({ SWITCHYARD_DATA_DIR: dataDir });
await runtime.call("POST", "/api/v2/events", { name: "Bench", sample_payload: {} });
await runtime.call("POST", "/api/v2/webhooks", { url: receiver.url, events: ["bench"] });

let next = 0;
const sentAt = new Map<number, number>();
const arrivedAt = new Map<number, number>();
const collect = () => {
  for (const request of receiver.requests.splice(0)) {
    arrivedAt.set(JSON.parse(request.body).data.n as number, request.at);
  }
};
/** Triggers one event; answers how long the trigger took, or null when it was refused. */
async function trigger(): Promise<number | null> {
  const n = next++;
  const started = performance.now();
  sentAt.set(n, Date.now());
  const answer = await runtime.call(
    "POST",
    "/api/v2/public/event/bench",
    { payload: { n } },
    { linked_account_id: "bench" },
  );
  if (answer.status !== 200) {
    sentAt.delete(n);
    return null;
  }
  return performance.now() - started;
}

async function drain(expected: number) {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (Date.now() < deadline) {
    collect();
    if (arrivedAt.size >= expected) return;
    await sleep(20);
  }
}

// 1. Saturation: 32 clients, each triggering again as soon as it is answered.
{
  const started = Date.now();
  const until = started + LOAD_SECONDS * 1000;
  let refused = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < until) if ((await trigger()) === null) refused++;
    }),
  );
  collect();
  const accepted = sentAt.size;
  const deliveredInLoad = arrivedAt.size;
  await drain(accepted);
  const lastArrival = Math.max(...arrivedAt.values());
  const seconds = (lastArrival - started) / 1000;
  console.log(
    `${CLIENTS} clients for ${LOAD_SECONDS} s: ${accepted} accepted (${rate(accepted, LOAD_SECONDS)}), ${refused} refused; ` +
      `${deliveredInLoad} delivered during the load, all ${arrivedAt.size} of ${accepted} after ${seconds.toFixed(1)} s: ` +
      `${rate(arrivedAt.size, seconds)} sustained`,
  );
}

// 2. Paced: 200 events a second, each trigger on its own schedule.
{
  sentAt.clear();
  arrivedAt.clear();
  const first = next;
  const latencies: number[] = [];
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let index = 0; index < PACED_RATE * LOAD_SECONDS; index++) {
    const due = started + (index * 1000) / PACED_RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(
      trigger().then((latency) => {
        if (latency !== null) latencies.push(latency);
      }),
    );
  }
  await Promise.all(pending);
  await drain(sentAt.size);
  const endToEnd = [...arrivedAt].map(([n, at]) => at - (sentAt.get(n) ?? at));
  console.log(
    `paced ${PACED_RATE} events/s for ${LOAD_SECONDS} s (${next - first} sent, ${arrivedAt.size} delivered): ` +
      `trigger ${summary(latencies)}; trigger → receipt ${summary(endToEnd)}`,
  );
}

await runtime.stop("SIGTERM");
await receiver.close();
rmSync(dataDir, { recursive: true, force: true });

function rate(count: number, seconds: number): string {
  return `${Math.round(count / seconds)} events/s`;
}

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return `p50 ${Math.round(at(0.5))} ms, p99 ${Math.round(at(0.99))} ms`;
}

function sleep(milliseconds: number) {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
