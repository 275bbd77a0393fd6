import { beforeEach, describe, expect, it } from "vitest";
import type { Delivery } from "../../../functions/core/model.ts";
import { webhookDelivery } from "../../../functions/core/routing.ts";
import { appEvent, testSubscription } from "../../support/events.ts";
import { freshApp, type Invoke, usePipeline } from "../../support/harness.ts";

const pipeline = usePipeline();
let call: Invoke;
let deliveries: Delivery[];

beforeEach(async () => {
  const app = await freshApp(pipeline);
  call = app.call;
  const subscription = testSubscription();
  await app.store.createSubscription(app.appId, subscription);
  deliveries = [];
  for (const ulid of ["01JD0000000000000000000001", "01JD0000000000000000000002"]) {
    const event = appEvent(app.appId, { event_id: `evt_${ulid}` });
    const delivery = webhookDelivery(subscription, event, {}, app.clock.now());
    await app.store.createDelivery(delivery);
    deliveries.push(delivery);
  }
});

describe("GET /api/v2/deliveries", () => {
  it("lists newest first and filters by event", async () => {
    const all = await call({ method: "GET", path: "/api/v2/deliveries" });
    expect(all.body.data.map((d: Delivery) => d.id)).toEqual([
      deliveries[1]?.id,
      deliveries[0]?.id,
    ]);
    const one = await call({
      method: "GET",
      path: "/api/v2/deliveries",
      query: { event_id: deliveries[0]?.event_id ?? "" },
    });
    expect(one.body.data.map((d: Delivery) => d.id)).toEqual([deliveries[0]?.id]);
  });

  it("matches nothing for an event id that cannot exist, even one that prefixes real ids", async () => {
    for (const event_id of ["evt_0", "evt_", "evt_01JD", "nonsense"]) {
      const response = await call({
        method: "GET",
        path: "/api/v2/deliveries",
        query: { event_id },
      });
      expect(response.status).toBe(200);
      expect(response.body.data, event_id).toEqual([]);
    }
  });

  it("still refuses a garbage cursor when the filter's id cannot exist", async () => {
    const queries: Record<string, string>[] = [
      { event_id: "nonsense", cursor: "garbage" },
      { webhook_id: "sub_x", cursor: "garbage" },
    ];
    for (const query of queries) {
      const response = await call({ method: "GET", path: "/api/v2/deliveries", query });
      expect(response.status, JSON.stringify(query)).toBe(400);
      expect(response.body.message).toContain("cursor");
    }
  });

  it("refuses webhook_id and workflow_id together, and an unknown status", async () => {
    const both = await call({
      method: "GET",
      path: "/api/v2/deliveries",
      query: {
        webhook_id: "sub_01JD0000000000000000000001",
        workflow_id: "wf_01JD0000000000000000000001",
      },
    });
    expect(both.status).toBe(400);
    const status = await call({
      method: "GET",
      path: "/api/v2/deliveries",
      query: { status: "lost" },
    });
    expect(status.status).toBe(400);
    expect(status.body.message).toContain("status must be one of");
  });

  it("shows one delivery with its request body and attempts, and 404 for a malformed id", async () => {
    const detail = await call({ method: "GET", path: `/api/v2/deliveries/${deliveries[0]?.id}` });
    expect(detail.body).toMatchObject({
      id: deliveries[0]?.id,
      request_body: deliveries[0]?.body,
      attempts: [],
    });
    expect((await call({ method: "GET", path: "/api/v2/deliveries/msg_x" })).status).toBe(404);
  });
});
