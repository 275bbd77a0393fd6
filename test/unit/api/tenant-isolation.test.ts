import { beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../../../functions/core/ports.ts";
import { webhookDelivery } from "../../../functions/core/routing.ts";
import type { TestTable } from "../../support/dynamo.ts";
import {
  apiClient,
  fixedClock,
  type Invoke,
  type Messaging,
  newApp,
  usePipeline,
} from "../../support/harness.ts";

let table: TestTable;
let messaging: Messaging;
let store: Store;
let owner: Invoke;
let stranger: Invoke;
const ids = { slug: "contact_created", webhook: "", delivery: "" };

const pipeline = usePipeline();
beforeAll(async () => {
  ({ table, messaging } = pipeline);
  store = await table.freshStore();
  const clock = fixedClock();
  const a = await newApp(store, clock, "A");
  const b = await newApp(store, clock, "B");
  owner = apiClient(store, messaging, clock, a.apiKey);
  stranger = apiClient(store, messaging, clock, b.apiKey);
  await owner({
    method: "POST",
    path: "/api/v2/events",
    body: { name: "Contact Created", sample_payload: {} },
  });
  const webhook = await owner({
    method: "POST",
    path: "/api/v2/webhooks",
    body: { url: "https://example.com/h", events: ["contact_created"] },
  });
  ids.webhook = webhook.body.id;
  const subscription = await store.getSubscription(a.appId, ids.webhook);
  if (!subscription) throw new Error("subscription missing");
  const event = {
    v: 1 as const,
    app_id: a.appId,
    event_id: "evt_01JD0000000000000000000000",
    type: "contact_created",
    platform: false,
    linked_account_id: "acme",
    timestamp: "2026-11-23T01:28:00.000Z",
  };
  const delivery = webhookDelivery(subscription, event, {}, clock.now());
  await store.createDelivery({ ...delivery, status: "dead_lettered" });
  await store.setDeliveryStatus(a.appId, delivery.id, "dead_lettered", delivery.created_at);
  ids.delivery = delivery.id;
});

describe("an app never sees another app's data", () => {
  const foreignRoutes = (): [string, string, unknown?][] => [
    ["GET", `/api/v2/events/${ids.slug}`],
    ["PATCH", `/api/v2/events/${ids.slug}`, { name: "stolen" }],
    ["DELETE", `/api/v2/events/${ids.slug}`],
    ["GET", `/api/v2/webhooks/${ids.webhook}`],
    ["PATCH", `/api/v2/webhooks/${ids.webhook}`, { enabled: false }],
    ["DELETE", `/api/v2/webhooks/${ids.webhook}`],
    ["GET", `/api/v2/webhooks/${ids.webhook}/secret`],
    ["POST", `/api/v2/webhooks/${ids.webhook}/rotate-secret`],
    ["GET", `/api/v2/webhooks/${ids.webhook}/deliveries`],
    ["GET", `/api/v2/deliveries/${ids.delivery}`],
  ];

  it("answers 404 on every route that names another app's resource", async () => {
    for (const [method, path, body] of foreignRoutes()) {
      const response = await stranger({ method, path, ...(body !== undefined && { body }) });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body.error_type).toBe("NOT_FOUND");
    }
    // …and nothing changed for the owner.
    const definition = await owner({ method: "GET", path: `/api/v2/events/${ids.slug}` });
    expect(definition.body.name).toBe("Contact Created");
    const webhook = await owner({ method: "GET", path: `/api/v2/webhooks/${ids.webhook}` });
    expect(webhook.body.enabled).toBe(true);
  });

  it("lists none of another app's resources", async () => {
    for (const path of [
      "/api/v2/events",
      "/api/v2/webhooks",
      "/api/v2/deliveries",
      "/api/v2/dlq",
    ]) {
      const theirs = await stranger({ method: "GET", path });
      expect(theirs.body, path).toEqual({ data: [], next_cursor: null });
      const mine = await owner({ method: "GET", path });
      expect(mine.body.data.length, path).toBe(1);
    }
  });

  it("does not let another app trigger this app's events", async () => {
    const response = await stranger({
      method: "POST",
      path: `/api/v2/public/event/${ids.slug}`,
      headers: { linked_account_id: "acme" },
      body: {},
    });
    expect(response.status).toBe(400);
    expect(response.body.message).toContain("not found for application");
  });

  it("does not subscribe another app to this app's events", async () => {
    const response = await stranger({
      method: "POST",
      path: "/api/v2/webhooks",
      body: { url: "https://example.com/h", events: [ids.slug] },
    });
    expect(response.status).toBe(400);
  });
});
