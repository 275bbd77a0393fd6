import { describe, expect, it } from "vitest";
import { deliveryId, isId } from "../../../functions/core/ids.ts";
import type { JsonObject } from "../../../functions/core/json.ts";
import type { RoutedEvent } from "../../../functions/core/model.ts";
import {
  subscriptionReceives,
  webhookBody,
  webhookDelivery,
} from "../../../functions/core/routing.ts";
import { testSubscription } from "../../support/events.ts";

const PAYLOAD: JsonObject = { first_name: "Mark", address: { pincode: 560103 }, is_new: true };
const NOW = new Date("2026-11-23T01:30:00.000Z");

const subscription = testSubscription;

function event(overrides: Partial<RoutedEvent> = {}): RoutedEvent {
  return {
    v: 1,
    app_id: "app_01JD0000000000000000000000",
    event_id: "evt_01JD0000000000000000000000",
    type: "contact_created",
    platform: false,
    linked_account_id: "acme",
    timestamp: "2026-11-23T01:28:00.000Z",
    payload: PAYLOAD,
    ...overrides,
  };
}

const platformEvent = (type: string, linkedAccountId: string | null = null) =>
  event({ type, platform: true, linked_account_id: linkedAccountId });

describe("subscriptionReceives", () => {
  it("receives an event of a type it subscribes to", () => {
    expect(subscriptionReceives(subscription(), event(), PAYLOAD)).toBe(true);
  });

  it("does not receive an event of another type", () => {
    expect(subscriptionReceives(subscription(), event({ type: "invoice_paid" }), PAYLOAD)).toBe(
      false,
    );
  });

  it("receives each of several subscribed types", () => {
    const sub = subscription({ events: ["invoice_paid", "contact_created"] });
    expect(subscriptionReceives(sub, event({ type: "invoice_paid" }), PAYLOAD)).toBe(true);
    expect(subscriptionReceives(sub, event(), PAYLOAD)).toBe(true);
  });

  it("receives a platform event it subscribes to by type", () => {
    const sub = subscription({ events: ["workflow.errored"] });
    expect(subscriptionReceives(sub, platformEvent("workflow.errored", "acme"), {})).toBe(true);
    expect(subscriptionReceives(sub, platformEvent("workflow.completed", "acme"), {})).toBe(false);
  });

  it("with *, receives app events and platform events", () => {
    const sub = subscription({ events: ["*"] });
    expect(subscriptionReceives(sub, event({ type: "anything_at_all" }), PAYLOAD)).toBe(true);
    expect(subscriptionReceives(sub, platformEvent("delivery.dead_lettered", "acme"), {})).toBe(
      true,
    );
    expect(subscriptionReceives(sub, platformEvent("event_definition.changed"), {})).toBe(true);
  });

  it("never receives while disabled, even with *", () => {
    expect(subscriptionReceives(subscription({ enabled: false }), event(), PAYLOAD)).toBe(false);
    expect(
      subscriptionReceives(subscription({ enabled: false, events: ["*"] }), event(), PAYLOAD),
    ).toBe(false);
  });

  it("with linked_account_ids, receives events of those accounts only", () => {
    const sub = subscription({ linked_account_ids: ["acme", "globex"] });
    expect(subscriptionReceives(sub, event({ linked_account_id: "acme" }), PAYLOAD)).toBe(true);
    expect(subscriptionReceives(sub, event({ linked_account_id: "globex" }), PAYLOAD)).toBe(true);
    expect(subscriptionReceives(sub, event({ linked_account_id: "initech" }), PAYLOAD)).toBe(false);
  });

  it("with linked_account_ids, compares account ids exactly", () => {
    const sub = subscription({ linked_account_ids: ["acme"] });
    expect(subscriptionReceives(sub, event({ linked_account_id: "ACME" }), PAYLOAD)).toBe(false);
    expect(subscriptionReceives(sub, event({ linked_account_id: "acme " }), PAYLOAD)).toBe(false);
  });

  it("with linked_account_ids, does not receive an event without an account", () => {
    const sub = subscription({ events: ["*"], linked_account_ids: ["acme"] });
    expect(subscriptionReceives(sub, platformEvent("event_definition.changed"), {})).toBe(false);
  });

  it("without linked_account_ids, receives events of every account and of none", () => {
    const sub = subscription({ events: ["*"] });
    expect(subscriptionReceives(sub, event({ linked_account_id: "initech" }), PAYLOAD)).toBe(true);
    expect(subscriptionReceives(sub, event({ linked_account_id: null }), PAYLOAD)).toBe(true);
  });

  it("applies its filter as an EventBridge content pattern on the payload", () => {
    const sub = subscription({ filter: { address: { pincode: [560103] } } });
    expect(subscriptionReceives(sub, event(), PAYLOAD)).toBe(true);
    expect(subscriptionReceives(sub, event(), { ...PAYLOAD, address: { pincode: 110001 } })).toBe(
      false,
    );
    expect(subscriptionReceives(sub, event(), { first_name: "Mark" })).toBe(false);
  });

  it("applies prefix, numeric and exists matchers of its filter", () => {
    const sub = subscription({
      filter: {
        first_name: [{ prefix: "Ma" }],
        address: { pincode: [{ numeric: [">", 500000] }] },
        deleted_at: [{ exists: false }],
      },
    });
    expect(subscriptionReceives(sub, event(), PAYLOAD)).toBe(true);
    expect(subscriptionReceives(sub, event(), { ...PAYLOAD, first_name: "Ada" })).toBe(false);
    expect(subscriptionReceives(sub, event(), { ...PAYLOAD, address: { pincode: 1 } })).toBe(false);
    expect(subscriptionReceives(sub, event(), { ...PAYLOAD, deleted_at: "2026-01-01" })).toBe(
      false,
    );
  });

  it("filters on the payload it is given, not on the event envelope", () => {
    const sub = subscription({ filter: { type: ["contact_created"] } });
    expect(subscriptionReceives(sub, event(), PAYLOAD)).toBe(false);
    expect(subscriptionReceives(sub, event(), { type: "contact_created" })).toBe(true);
  });
});

describe("webhookBody", () => {
  it("holds exactly id, type, timestamp, event_id, linked_account_id and data", () => {
    const body = JSON.parse(webhookBody("msg_1", event(), PAYLOAD));
    expect(body).toEqual({
      id: "msg_1",
      type: "contact_created",
      timestamp: "2026-11-23T01:28:00.000Z",
      event_id: "evt_01JD0000000000000000000000",
      linked_account_id: "acme",
      data: PAYLOAD,
    });
    expect(Object.keys(body)).toEqual([
      "id",
      "type",
      "timestamp",
      "event_id",
      "linked_account_id",
      "data",
    ]);
  });

  it("keeps linked_account_id as null for an event without an account", () => {
    const body = JSON.parse(
      webhookBody("msg_1", platformEvent("event_definition.changed"), { slug: "x" }),
    );
    expect(body).toHaveProperty("linked_account_id", null);
    expect(body.data).toEqual({ slug: "x" });
  });

  it("uses the payload it is given as data, not the event's own copy", () => {
    const body = JSON.parse(webhookBody("msg_1", event({ payload: undefined }), { a: 1 }));
    expect(body.data).toEqual({ a: 1 });
  });

  it("matches the subscription envelope of the signature fixture byte for byte", () => {
    expect(
      webhookBody("msg_01JD0000000000000000000000", event(), {
        first_name: "Mark",
        address: { pincode: 560103 },
      }),
    ).toBe(
      '{"id":"msg_01JD0000000000000000000000","type":"contact_created","timestamp":"2026-11-23T01:28:00.000Z","event_id":"evt_01JD0000000000000000000000","linked_account_id":"acme","data":{"first_name":"Mark","address":{"pincode":560103}}}',
    );
  });
});

describe("webhookDelivery", () => {
  it("is a pending POST to the subscription's url with the webhook body", () => {
    const delivery = webhookDelivery(subscription(), event(), PAYLOAD, NOW);
    expect(delivery).toEqual({
      id: delivery.id,
      app_id: "app_01JD0000000000000000000000",
      event_id: "evt_01JD0000000000000000000000",
      event_type: "contact_created",
      platform: false,
      linked_account_id: "acme",
      target: { type: "webhook", id: "sub_01JD0000000000000000000001" },
      url: "https://example.com/hooks",
      method: "POST",
      body: webhookBody(delivery.id, event(), PAYLOAD),
      status: "pending",
      attempt_count: 0,
      round_started_at_attempt: 0,
      created_at: "2026-11-23T01:30:00.000Z",
      updated_at: "2026-11-23T01:30:00.000Z",
      last_attempt: null,
    });
  });

  it("has a deterministic delivery id derived from the event and the subscription", () => {
    const first = webhookDelivery(subscription(), event(), PAYLOAD, NOW);
    const again = webhookDelivery(subscription(), event(), PAYLOAD, new Date());
    expect(first.id).toBe(again.id);
    expect(first.id).toBe(
      deliveryId("evt_01JD0000000000000000000000", {
        type: "webhook",
        id: "sub_01JD0000000000000000000001",
      }),
    );
    expect(first.id.startsWith("msg_01JD0000000000000000000000")).toBe(true);
    expect(isId("delivery", first.id)).toBe(true);
  });

  it("puts its own id in the body it sends", () => {
    const delivery = webhookDelivery(subscription(), event(), PAYLOAD, NOW);
    expect(JSON.parse(delivery.body).id).toBe(delivery.id);
  });

  it("has another id for another subscription", () => {
    const a = webhookDelivery(subscription(), event(), PAYLOAD, NOW);
    const b = webhookDelivery(
      subscription({ id: "sub_01JD0000000000000000000002" }),
      event(),
      PAYLOAD,
      NOW,
    );
    expect(a.id).not.toBe(b.id);
  });

  it("has another id for each replay of the event", () => {
    const original = webhookDelivery(subscription(), event(), PAYLOAD, NOW);
    const replay1 = webhookDelivery(subscription(), event(), PAYLOAD, NOW, 1);
    const replay2 = webhookDelivery(subscription(), event(), PAYLOAD, NOW, 2);
    expect(new Set([original.id, replay1.id, replay2.id]).size).toBe(3);
    expect(webhookDelivery(subscription(), event(), PAYLOAD, NOW, 1).id).toBe(replay1.id);
  });

  it("carries the platform flag and a null account of a platform event", () => {
    const delivery = webhookDelivery(
      subscription({ events: ["*"] }),
      platformEvent("event_definition.changed"),
      { slug: "contact_created", change: "created" },
      NOW,
    );
    expect(delivery.platform).toBe(true);
    expect(delivery.linked_account_id).toBeNull();
    expect(delivery.event_type).toBe("event_definition.changed");
  });
});
