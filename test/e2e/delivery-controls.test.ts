import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, type LocalRuntime, useLocalRuntimes } from "../support/local-runtime.ts";
import { startReceiver, type TestReceiver } from "../support/receiver.ts";

// Quick retries (a 0.2 s base) and a short timeout keep the whole path real but quick.
const { start } = useLocalRuntimes({
  SWITCHYARD_RETRY_BASE_SECONDS: "0.2",
  SWITCHYARD_DELIVERY_TIMEOUT_SECONDS: "1",
});
let receiver: TestReceiver;

beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

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
});
