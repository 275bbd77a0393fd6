import { decodeTime } from "ulid";
import { describe, expect, it } from "vitest";
import { deliveryId, ID_PREFIX, type IdKind, isId, newId } from "../../../functions/core/ids.ts";

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const KINDS = Object.keys(ID_PREFIX) as IdKind[];
const EVENT_ID = "evt_01JD0000000000000000000000";
const WEBHOOK = { type: "webhook", id: "sub_01JD0000000000000000000001" } as const;

describe("newId", () => {
  it.each([
    ["app", "app_"],
    ["event", "evt_"],
    ["subscription", "sub_"],
    ["workflow", "wf_"],
    ["run", "run_"],
    ["delivery", "msg_"],
  ] as const)("gives a %s id the prefix %s and a ULID", (kind, prefix) => {
    const id = newId(kind);
    expect(id.startsWith(prefix)).toBe(true);
    expect(id.slice(prefix.length)).toMatch(ULID);
  });

  it("encodes the given time in the ULID", () => {
    // Later than any id this file mints: a monotonic factory never goes back in time.
    const at = Date.now() + 365 * 24 * 3600 * 1000;
    const id = newId("event", at);
    expect(decodeTime(id.slice("evt_".length))).toBe(at);
  });

  it("sorts ids in creation order within one millisecond", () => {
    const at = Date.now() + 120_000;
    const ids = Array.from({ length: 50 }, () => newId("event", at));
    expect(new Set(ids).size).toBe(50);
    expect([...ids].sort()).toEqual(ids);
  });

  it("sorts ids in creation order across milliseconds", () => {
    const at = Date.now() + 180_000;
    const ids = [newId("run", at), newId("run", at + 1), newId("run", at + 1000)];
    expect([...ids].sort()).toEqual(ids);
  });
});

describe("isId", () => {
  it.each(KINDS)("accepts a new %s id", (kind) => {
    expect(isId(kind, newId(kind))).toBe(true);
  });

  it("rejects an id of another kind", () => {
    expect(isId("event", newId("subscription"))).toBe(false);
    expect(isId("workflow", newId("run"))).toBe(false);
  });

  it("rejects malformed ids", () => {
    const ulid = newId("event").slice("evt_".length);
    for (const value of [
      "",
      "evt_",
      ulid,
      `evt${ulid}`,
      `evt-${ulid}`,
      `EVT_${ulid}`,
      `evt_${ulid.toLowerCase()}`,
      `evt_${ulid.slice(1)}`,
      `evt_${ulid}0`,
      `evt_${ulid.slice(0, 25)}U`,
      `evt_${ulid.slice(0, 25)}I`,
      ` evt_${ulid}`,
      `evt_${ulid}\n`,
    ]) {
      expect(isId("event", value), JSON.stringify(value)).toBe(false);
    }
  });

  it("accepts a delivery id derived from an event and rejects one with a short hash", () => {
    const id = deliveryId(EVENT_ID, WEBHOOK);
    expect(isId("delivery", id)).toBe(true);
    expect(isId("delivery", id.slice(0, -1))).toBe(false);
    expect(isId("delivery", `${id}A`)).toBe(false);
  });
});

describe("deliveryId", () => {
  it("starts with msg_ and the event's ULID, then 8 Crockford base32 characters", () => {
    const id = deliveryId(EVENT_ID, WEBHOOK);
    expect(id.startsWith(`msg_${EVENT_ID.slice("evt_".length)}`)).toBe(true);
    expect(id).toMatch(/^msg_01JD0000000000000000000000[0-9A-HJKMNP-TV-Z]{8}$/);
  });

  it("is the same for the same event, target and replay", () => {
    expect(deliveryId(EVENT_ID, WEBHOOK)).toBe(deliveryId(EVENT_ID, { ...WEBHOOK }));
    expect(deliveryId(EVENT_ID, WEBHOOK, 2)).toBe(deliveryId(EVENT_ID, WEBHOOK, 2));
  });

  it("treats a missing replay number as replay 0", () => {
    expect(deliveryId(EVENT_ID, WEBHOOK)).toBe(deliveryId(EVENT_ID, WEBHOOK, 0));
  });

  it("differs for another target", () => {
    const other = deliveryId(EVENT_ID, { type: "webhook", id: "sub_01JD0000000000000000000002" });
    expect(other).not.toBe(deliveryId(EVENT_ID, WEBHOOK));
  });

  it("differs for a workflow target with the same id", () => {
    const asWorkflow = deliveryId(EVENT_ID, { type: "workflow", id: WEBHOOK.id });
    expect(asWorkflow).not.toBe(deliveryId(EVENT_ID, WEBHOOK));
  });

  it("differs for each replay number", () => {
    const ids = [0, 1, 2, 3].map((replay) => deliveryId(EVENT_ID, WEBHOOK, replay));
    expect(new Set(ids).size).toBe(4);
  });

  it("differs for another event", () => {
    const other = deliveryId("evt_01JD0000000000000000000009", WEBHOOK);
    expect(other).not.toBe(deliveryId(EVENT_ID, WEBHOOK));
  });

  it("sorts deliveries with their events", () => {
    const earlier = deliveryId(newId("event", Date.now() + 240_000), WEBHOOK);
    const later = deliveryId(newId("event", Date.now() + 300_000), WEBHOOK);
    expect(earlier < later).toBe(true);
  });
});
