/**
 * `npm run bench` (third part): does one bad endpoint slow the rest? Healthy trigger → receipt
 * latency, at a paced rate, first alone and then beside a receiver that never answers and gets
 * as many events (half the traffic), in one run of `npm start`'s program. Prints figures;
 * asserts nothing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalRuntime, startLocalRuntime } from "../test/support/local-runtime.ts";
import { startReceiver, type TestReceiver } from "../test/support/receiver.ts";

/** Events a second to each receiver; `BENCH_RATE=25` tries a heavier load. */
const RATE_PER_SECOND = Number(process.env.BENCH_RATE ?? 10);
const SECONDS = 30;
/** How long the healthy events of a phase may take to arrive before the phase gives up. */
const DRAIN_LIMIT_MS = 90_000;

const healthy = await startReceiver();
const hanging = await startReceiver();
hanging.respond = "hang";
const dataDir = mkdtempSync(join(tmpdir(), "switchyard-bench-isolation-"));
const runtime = await startLocalRuntime({
  SWITCHYARD_DATA_DIR: dataDir,
  SWITCHYARD_DELIVERY_TIMEOUT_SECONDS: "5",
});
await runtime.call("POST", "/api/v2/events", { name: "Bench", sample_payload: {} });
for (const [receiver, account] of [
  [healthy, "healthy"],
  [hanging, "hanging"],
] as const) {
  await runtime.call("POST", "/api/v2/webhooks", {
    url: receiver.url,
    events: ["bench"],
    linked_account_ids: [account],
  });
}

const alone = await phase(runtime, false);
const beside = await phase(runtime, true);
console.log(
  `healthy receiver, ${RATE_PER_SECOND} events/s for ${SECONDS} s, delivery timeout 5 s:`,
);
console.log(`  alone:                                 ${alone.text}`);
console.log(`  beside a receiver that never answers:  ${beside.text}`);
console.log(
  `  beside / alone:                        p50 ${ratio(beside.p50, alone.p50)}, p99 ${ratio(beside.p99, alone.p99)}`,
);
// Pausing at work: the hanging receiver got a handful of requests, not one per event.
console.log(
  `  requests the hanging receiver got:     ${hanging.requests.length} for ${RATE_PER_SECOND * SECONDS} events`,
);

await runtime.stop("SIGKILL");
await healthy.close();
await hanging.close();
rmSync(dataDir, { recursive: true, force: true });

interface PhaseResult {
  text: string;
  p50: number;
  p99: number;
}

/** Paced triggers to the healthy account (and as many to the hanging one, if asked). */
async function phase(target: LocalRuntime, withHanging: boolean): Promise<PhaseResult> {
  healthy.requests.length = 0;
  const sentAt = new Map<number, number>();
  const started = Date.now();
  const total = RATE_PER_SECOND * SECONDS;
  const triggers: Promise<unknown>[] = [];
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / RATE_PER_SECOND;
    await sleep(Math.max(0, due - Date.now()));
    sentAt.set(n, Date.now());
    triggers.push(trigger(target, "healthy", n));
    if (withHanging) triggers.push(trigger(target, "hanging", n));
  }
  await Promise.all(triggers);
  const deadline = Date.now() + DRAIN_LIMIT_MS;
  while (arrived(healthy).size < total && Date.now() < deadline) await sleep(20);
  const arrivals = arrived(healthy);
  const latencies = [...arrivals].map(([n, at]) => at - (sentAt.get(n) ?? at));
  const missing = total - arrivals.size;
  const delivered = missing
    ? `; ${missing} of ${total} not delivered within ${DRAIN_LIMIT_MS / 1000} s`
    : `; all ${total} delivered`;
  return {
    text: `${summary(latencies)}${delivered}`,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
  };
}

function trigger(target: LocalRuntime, account: string, n: number) {
  return target.call(
    "POST",
    "/api/v2/public/event/bench",
    { payload: { n } },
    { linked_account_id: account },
  );
}

/** When each numbered event first reached the receiver. */
function arrived(receiver: TestReceiver): Map<number, number> {
  const arrivals = new Map<number, number>();
  for (const request of receiver.requests) {
    const n = JSON.parse(request.body).data.n as number;
    if (!arrivals.has(n)) arrivals.set(n, request.at);
  }
  return arrivals;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

function summary(values: number[]): string {
  const at = (q: number) => Math.round(quantile(values, q));
  return `p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`;
}

function ratio(value: number, base: number): string {
  return base > 0 ? `${(value / base).toFixed(1)}×` : "n/a";
}

function sleep(milliseconds: number) {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
