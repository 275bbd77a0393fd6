import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, type LocalRuntime, useLocalRuntimes } from "../support/local-runtime.ts";
import { startReceiver, type TestReceiver } from "../support/receiver.ts";
import { runtimeQueues } from "../support/runtime-queues.ts";

// Quick failures (1 s timeout) and short pauses (a 0.2 s retry base pauses for 1 s, then 2 s, …;
// a delivery may be held 4 × its 6 s schedule = 24 s) keep the whole path real but quick.
const QUICK = {
  SWITCHYARD_RETRY_BASE_SECONDS: "0.2",
  SWITCHYARD_DELIVERY_TIMEOUT_SECONDS: "1",
};
const runtimes = useLocalRuntimes(QUICK);
let flaky: TestReceiver;
let healthy: TestReceiver;

beforeAll(async () => {
  [flaky, healthy] = await Promise.all([startReceiver(), startReceiver()]);
});
afterAll(async () => {
  await Promise.all([flaky?.close(), healthy?.close()]);
});

/** An event definition and a subscription of `receiver` to it, as the app with `apiKey`. */
async function subscribe(runtime: LocalRuntime, receiver: TestReceiver, apiKey?: string) {
  const headers: Record<string, string> = apiKey ? { "x-api-key": apiKey } : {};
  await runtime.call("POST", "/api/v2/events", { name: "Ping", sample_payload: {} }, headers);
  const created = await runtime.call(
    "POST",
    "/api/v2/webhooks",
    { url: receiver.url, events: ["ping"] },
    headers,
  );
  return created.body.id as string;
}

const trigger = (runtime: LocalRuntime, n: number, apiKey?: string) =>
  runtime.call(
    "POST",
    "/api/v2/public/event/ping",
    { payload: { n } },
    { linked_account_id: "acme", ...(apiKey ? { "x-api-key": apiKey } : {}) },
  );

/** A second app in the running runtime's table, made as `npm run apps:create` makes one. */
function secondApp(dataDir: string): string {
  const { dynamodb_endpoint } = JSON.parse(readFileSync(join(dataDir, "runtime.json"), "utf8"));
  const created = spawnSync(
    process.execPath,
    ["--import", "tsx", "local/cli/apps-create.ts", "--name", "Other", "--json"],
    { env: { ...process.env, SWITCHYARD_DYNAMODB_ENDPOINT: dynamodb_endpoint }, encoding: "utf8" },
  );
  return JSON.parse(created.stdout).api_key;
}

const deliveriesOf = async (runtime: LocalRuntime, webhookId: string) =>
  (await runtime.call("GET", `/api/v2/deliveries?webhook_id=${webhookId}&limit=200`)).body.data as {
    status: string;
    attempt_count: number;
    status_reason: string | null;
  }[];

describe("a receiver that hangs", () => {
  it("is paused, its deliveries held without attempts, resumed by a probe, and then every one arrives — while another app's receiver is served", async () => {
    const dataDir = runtimes.newDataDir();
    const runtime = await runtimes.start(dataDir);
    flaky.respond = "hang";
    healthy.respond = { status: 200, body: "ok" };
    const webhookId = await subscribe(runtime, flaky);
    const otherKey = secondApp(dataDir);
    await subscribe(runtime, healthy, otherKey);

    // Five failures in a row pause the subscription.
    for (let n = 0; n < 5; n++) await trigger(runtime, n);
    const paused = await eventually(
      async () =>
        (await runtime.call("GET", `/api/v2/webhooks/${webhookId}`)).body.paused_until as
          | string
          | null,
      10_000,
      "the pause",
    );
    expect(Date.parse(paused)).toBeGreaterThan(Date.now() - 5_000);

    // Deliveries made while it is paused wait without a request or an attempt…
    const requestsBefore = flaky.requests.length;
    for (let n = 5; n < 8; n++) await trigger(runtime, n);
    // …while the other app's receiver gets its events at once.
    const otherSent = Date.now();
    for (let n = 0; n < 5; n++) await trigger(runtime, n, otherKey);
    await eventually(async () => healthy.requests.length === 5, 5_000, "the other app's events");
    expect(Math.max(...healthy.requests.map((request) => request.at)) - otherSent).toBeLessThan(
      3_000,
    );
    const held = (await deliveriesOf(runtime, webhookId)).filter((d) => d.attempt_count === 0);
    expect(held).toHaveLength(3);
    expect(held.every((delivery) => delivery.status === "pending")).toBe(true);
    // They wait in the slow lane, where the main lane forwarded them without a request.
    const queues = runtimeQueues(dataDir);
    expect(await queues.depth("delivery_slow")).toBeGreaterThanOrEqual(3);
    queues.sqs.destroy();

    // The receiver is back: the next probe succeeds, and everything arrives.
    flaky.respond = { status: 200, body: "ok" };
    await eventually(
      async () => {
        const deliveries = await deliveriesOf(runtime, webhookId);
        return deliveries.length === 8 && deliveries.every((d) => d.status === "succeeded");
      },
      20_000,
      "every delivery to succeed",
    );
    expect(flaky.requests.length).toBeGreaterThan(requestsBefore);
    const resumed = await runtime.call("GET", `/api/v2/webhooks/${webhookId}`);
    expect(resumed.body.paused_until).toBeNull();
    const received = new Set(flaky.requests.map((request) => JSON.parse(request.body).data.n));
    expect([...received].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  }, 60_000);

  it("that stays down has every delivery dead-lettered within the bounded time", async () => {
    const runtime = await runtimes.start();
    flaky.respond = "hang";
    const webhookId = await subscribe(runtime, flaky);
    for (let n = 0; n < 8; n++) await trigger(runtime, n);
    // A held delivery may wait 24 s here (4 × its retry schedule), and one more pause at most.
    const ended = await eventually(
      async () => {
        const deliveries = await deliveriesOf(runtime, webhookId);
        return deliveries.every((d) => d.status === "dead_lettered") && deliveries;
      },
      45_000,
      "every delivery to be dead-lettered",
    );
    expect(ended).toHaveLength(8);
    const reasons = new Set(ended.map((delivery) => delivery.status_reason));
    expect(reasons.has("subscription_paused")).toBe(true);
    const listed = await runtime.call("GET", "/api/v2/dlq?limit=200");
    expect(listed.body.data).toHaveLength(8);
  }, 60_000);
});
