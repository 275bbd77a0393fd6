import { describe, expect, it } from "vitest";
import { eventually, type LocalRuntime, useLocalRuntimes } from "../support/local-runtime.ts";
import { startReceiver, useReceiver } from "../support/receiver.ts";

// Quick retries (a 0.2 s base) and a short timeout keep the whole path real but quick.
const { start } = useLocalRuntimes({
  SWITCHYARD_RETRY_BASE_SECONDS: "0.2",
  SWITCHYARD_DELIVERY_TIMEOUT_SECONDS: "1",
});
const receiver = useReceiver();

/** A runtime with the `ping` event defined, and the receiver answering 200. */
async function runtimeWithPing(): Promise<LocalRuntime> {
  const runtime = await start();
  await runtime.call("POST", "/api/v2/events", { name: "Ping", sample_payload: {} });
  receiver.requests.length = 0;
  receiver.respond = { status: 200, body: "ok" };
  return runtime;
}

const trigger = (runtime: LocalRuntime, n: number) =>
  runtime.call(
    "POST",
    "/api/v2/public/event/ping",
    { payload: { n } },
    { linked_account_id: "acme" },
  );

describe("delivery controls on npm start (SPEC §3.1)", () => {
  it("sends a subscription's custom header with every delivery, and refuses a reserved one", async () => {
    const runtime = await runtimeWithPing();
    const refused = await runtime.call("POST", "/api/v2/webhooks", {
      url: receiver.url,
      events: ["ping"],
      headers: { "webhook-signature": "v1,forged" },
    });
    expect(refused.status).toBe(400);
    const created = await runtime.call("POST", "/api/v2/webhooks", {
      url: receiver.url,
      events: ["ping"],
      headers: { "X-Route": "eu-1" },
    });
    expect(created.status).toBe(201);

    await trigger(runtime, 1);

    const [request] = await eventually(
      async () => (receiver.requests.length > 0 ? receiver.requests : undefined),
      10_000,
      "the delivery",
    );
    expect(request?.headers["x-route"]).toBe("eu-1");
    expect(request?.headers["webhook-signature"]).toMatch(/^v1,/);
    expect(receiver.requests).toHaveLength(1);
  }, 30_000);

  it("waits at least as long as a 429's Retry-After before the next attempt, and records it", async () => {
    const runtime = await runtimeWithPing();
    const created = await runtime.call("POST", "/api/v2/webhooks", {
      url: receiver.url,
      events: ["ping"],
    });
    receiver.respond = { status: 429, body: "slow down", headers: { "retry-after": "3" } };
    receiver.beforeAnswer = async () => {
      receiver.respond = { status: 200, body: "ok" }; // only the first answer is a 429
    };

    await trigger(runtime, 1);

    const requests = await eventually(
      async () => (receiver.requests.length >= 2 ? receiver.requests : undefined),
      15_000,
      "the second attempt",
    );
    receiver.beforeAnswer = undefined;
    const [first, second] = requests;
    // Without it, a 0.2 s retry base would have tried again within a second.
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(3_000);
    const list = await runtime.call("GET", `/api/v2/deliveries?webhook_id=${created.body.id}`);
    const detail = await runtime.call("GET", `/api/v2/deliveries/${list.body.data[0].id}`);
    expect(detail.body.attempts[0]).toMatchObject({ status_code: 429, retry_after: 3 });
  }, 30_000);

  it("disables a subscription whose receiver answers 410, and webhook.disabled reaches its subscriber", async () => {
    const runtime = await runtimeWithPing();
    const gone = await startReceiver();
    try {
      gone.respond = { status: 410, body: "gone" };
      const doomed = await runtime.call("POST", "/api/v2/webhooks", {
        url: gone.url,
        events: ["ping"],
      });
      await runtime.call("POST", "/api/v2/webhooks", {
        url: receiver.url,
        events: ["webhook.disabled"],
      });

      await trigger(runtime, 1);

      const [notice] = await eventually(
        async () => (receiver.requests.length > 0 ? receiver.requests : undefined),
        15_000,
        "webhook.disabled",
      );
      expect(JSON.parse(notice?.body ?? "{}")).toMatchObject({
        type: "webhook.disabled",
        data: { id: doomed.body.id, enabled: false, disabled_reason: "gone" },
      });
      expect(gone.requests).toHaveLength(1);
      const shown = await runtime.call("GET", `/api/v2/webhooks/${doomed.body.id}`);
      expect(shown.body).toMatchObject({ enabled: false, disabled_reason: "gone" });
      const dlq = await runtime.call("GET", "/api/v2/dlq");
      expect(dlq.body.data).toEqual([
        expect.objectContaining({
          target: { type: "webhook", id: doomed.body.id },
          status_reason: "subscription_disabled",
        }),
      ]);
    } finally {
      await gone.close();
    }
  }, 30_000);

  it("never sends a rate-limited subscription more than its limit in any one second of a burst", async () => {
    const runtime = await runtimeWithPing();
    const limited = await runtime.call("POST", "/api/v2/webhooks", {
      url: receiver.url,
      events: ["ping"],
      rate_limit: 5,
    });
    expect(limited.status).toBe(201);
    const batch = await runtime.call(
      "POST",
      "/api/v2/public/events/batch",
      { events: Array.from({ length: 50 }, (_, n) => ({ event: "ping", payload: { n } })) },
      { linked_account_id: "acme" },
    );
    expect(batch.status).toBe(200);

    const requests = await eventually(
      async () => (receiver.requests.length >= 50 ? receiver.requests : undefined),
      40_000,
      "all 50 deliveries",
    );

    const times = requests.map((request) => request.at).sort((a, b) => a - b);
    // The most requests that arrived within any one second: a window starting at each.
    const busiest = Math.max(
      ...times.map((start) => times.filter((at) => at >= start && at < start + 1_000).length),
    );
    expect(busiest).toBeLessThanOrEqual(5);
    expect(requests.every((request) => request.headers["x-switchyard-attempt"] === "1")).toBe(true);
  }, 60_000);

  it("delivers 20 events triggered in a burst to an ordered subscription in trigger order, holding the 4th while the 3rd is retried, and an unordered one beside it is not held up", async () => {
    const runtime = await runtimeWithPing();
    const ordered = await startReceiver();
    try {
      // Its 3rd and 4th requests fail: the 3rd event's first two attempts.
      ordered.respond = () =>
        ordered.requests.length === 3 || ordered.requests.length === 4
          ? { status: 503, body: "not yet" }
          : { status: 200, body: "ok" };
      const created = await runtime.call("POST", "/api/v2/webhooks", {
        url: ordered.url,
        events: ["ping"],
        ordered: true,
      });
      expect(created.body).toMatchObject({ ordered: true });
      await runtime.call("POST", "/api/v2/webhooks", { url: receiver.url, events: ["ping"] });

      // One request: its items' order is the trigger order.
      const burst = await runtime.call(
        "POST",
        "/api/v2/public/events/batch",
        {
          events: Array.from({ length: 20 }, (_, i) => ({ event: "ping", payload: { n: i + 1 } })),
        },
        { linked_account_id: "acme" },
      );
      expect(burst.status).toBe(200);

      const requests = await eventually(
        async () => (ordered.requests.length >= 22 ? ordered.requests : undefined),
        40_000,
        "the ordered subscription's 22 requests",
      );
      const sequence = requests.map((request) => JSON.parse(request.body).data.n as number);
      expect(sequence).toEqual([1, 2, 3, 3, 3, ...Array.from({ length: 17 }, (_, i) => i + 4)]);
      expect(
        requests.map((request) => request.headers["x-switchyard-attempt"]).slice(2, 6),
      ).toEqual(["1", "2", "3", "1"]);
      // The unordered subscription had every event before the 3rd reached the ordered one.
      const third = requests[4]?.at ?? 0;
      expect(receiver.requests).toHaveLength(20);
      expect(Math.max(...receiver.requests.map((request) => request.at))).toBeLessThan(third);
      expect(ordered.requests).toHaveLength(22);
    } finally {
      await ordered.close();
    }
  }, 60_000);
});
