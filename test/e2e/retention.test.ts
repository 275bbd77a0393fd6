import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, useLocalRuntimes } from "../support/local-runtime.ts";
import { startReceiver, type TestReceiver } from "../support/receiver.ts";

// 0.0002 days is 17.28 s: long enough to see everything stored, short enough to see it expire.
const RETENTION_MS = 0.0002 * 86_400_000;
const runtimes = useLocalRuntimes({
  SWITCHYARD_RETENTION_DAYS: "0.0002",
  SWITCHYARD_MAX_RETRIES: "0",
  SWITCHYARD_DELIVERY_TIMEOUT_SECONDS: "1",
});
let healthy: TestReceiver;
let failing: TestReceiver;

beforeAll(async () => {
  [healthy, failing] = await Promise.all([startReceiver(), startReceiver()]);
  failing.respond = { status: 500 };
});
afterAll(async () => {
  await Promise.all([healthy?.close(), failing?.close()]);
});

describe("retention on npm start", () => {
  it("treats an event, its deliveries and their attempts as gone from every route once retention has passed, and keeps the configuration", async () => {
    const runtime = await runtimes.start();
    await runtime.call("POST", "/api/v2/events", { name: "Ping", sample_payload: {} });
    const subscribe = async (receiver: TestReceiver) =>
      (await runtime.call("POST", "/api/v2/webhooks", { url: receiver.url, events: ["ping"] })).body
        .id as string;
    const [good, bad] = [await subscribe(healthy), await subscribe(failing)];
    const triggered = await runtime.call(
      "POST",
      "/api/v2/public/event/ping",
      { payload: { n: 1 } },
      { linked_account_id: "acme" },
    );
    const storedAt = Date.now();
    const eventId = triggered.body.event_id as string;
    const lists = [
      "/api/v2/deliveries",
      `/api/v2/deliveries?event_id=${eventId}`,
      `/api/v2/deliveries?webhook_id=${bad}`,
      "/api/v2/deliveries?status=succeeded",
      "/api/v2/dlq",
      `/api/v2/webhooks/${good}/deliveries`,
    ];
    const sizes = async () =>
      Promise.all(lists.map(async (path) => (await runtime.call("GET", path)).body.data.length));

    const expected = [2, 2, 1, 1, 1, 1];
    await eventually(
      async () => JSON.stringify(await sizes()) === JSON.stringify(expected),
      12_000,
      "every list to show the event's deliveries",
    );
    const [delivery] = (await runtime.call("GET", "/api/v2/dlq")).body.data;
    const detail = await runtime.call("GET", `/api/v2/deliveries/${delivery.id}`);
    expect(detail.body.attempts).toHaveLength(1);
    expect(Date.now() - storedAt).toBeLessThan(RETENTION_MS);

    await new Promise((resolve) =>
      setTimeout(resolve, RETENTION_MS - (Date.now() - storedAt) + 1_000),
    );

    expect(await sizes()).toEqual([0, 0, 0, 0, 0, 0]);
    expect((await runtime.call("GET", `/api/v2/deliveries/${delivery.id}`)).status).toBe(404);
    expect((await runtime.call("GET", `/api/v2/webhooks/${good}`)).status).toBe(200);
    expect((await runtime.call("GET", "/api/v2/events/ping")).status).toBe(200);
  }, 60_000);
});
