import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../../functions/core/ports.ts";
import { fixedClock, freshApp, type Invoke, usePipeline } from "../../support/harness.ts";

const pipeline = usePipeline();
let call: Invoke;
let store: Store;
let appId: string;

beforeEach(async () => {
  ({ call, store, appId } = await freshApp(pipeline, fixedClock()));
  for (const [name, strict] of [
    ["Contact Created", false],
    ["Order Placed", true],
  ] as const) {
    await call({
      method: "POST",
      path: "/api/v2/events",
      body: { name, sample_payload: { total: 1 }, strict },
    });
  }
  pipeline.messaging.reset();
});

const batch = (body: unknown, headers: Record<string, string> = { linked_account_id: "acme" }) =>
  call({ method: "POST", path: "/api/v2/public/events/batch", headers, body });

/** The entries of every PutEvents call so far, one array per call. */
const putCalls = () =>
  pipeline.messaging.eventBridge
    .commandCalls(PutEventsCommand)
    .map((putCall) =>
      (putCall.args[0].input.Entries ?? []).map((entry) => JSON.parse(entry.Detail ?? "{}")),
    );

const storedEvent = (eventId: string) => store.getEvent(appId, eventId);

/** PutEvents as the bus answers when it takes every entry. */
const takeAll = (input: { Entries?: unknown[] }) => ({
  FailedEntryCount: 0,
  Entries: (input.Entries ?? []).map(() => ({ EventId: "eb" })),
});

describe("POST /api/v2/public/events/batch", () => {
  it("answers one result per item, in order: accepted items are stored and published, refused ones store nothing", async () => {
    const answer = await batch({
      events: [
        { event: "contact_created", payload: { first_name: "Ada" } },
        { event: "wrong_event", payload: {} },
        { event: "order_placed", payload: { total: "3" } },
        { name: "Order Placed", linked_account_id: "globex", payload: { total: 3 } },
      ],
    });

    expect(answer.status).toBe(200);
    expect(answer.body.request_id).toEqual(expect.any(String));
    const [first, unknown, invalid, last] = answer.body.data;
    expect(first).toEqual({ event_id: expect.stringMatching(/^evt_/) });
    expect(unknown).toEqual({
      error: {
        status_code: 400,
        error_type: "BAD_REQUEST",
        message: `Trigger with name wrong_event not found for application ${appId}`,
      },
    });
    expect(invalid.error).toMatchObject({
      status_code: 400,
      message: "payload.total must be a number",
    });
    expect(last).toEqual({ event_id: expect.stringMatching(/^evt_/) });

    expect(await storedEvent(first.event_id)).toMatchObject({ linked_account_id: "acme" });
    expect(await storedEvent(last.event_id)).toMatchObject({
      type: "order_placed",
      linked_account_id: "globex",
    });
    expect(putCalls()).toEqual([
      [
        expect.objectContaining({ event_id: first.event_id }),
        expect.objectContaining({ event_id: last.event_id }),
      ],
    ]);
  });

  it("puts the events on the bus ten to a call", async () => {
    const events = Array.from({ length: 25 }, (_, n) => ({
      event: "contact_created",
      payload: { n },
    }));
    const answer = await batch({ events });
    expect(answer.body.data.every((item: { event_id?: string }) => item.event_id)).toBe(true);
    expect(putCalls().map((entries) => entries.length)).toEqual([10, 10, 5]);
    expect(
      new Set(
        putCalls()
          .flat()
          .map((event) => event.payload.n),
      ).size,
    ).toBe(25);
  });

  it("takes each item's idempotency key as a single trigger takes the header", async () => {
    const events = [
      { event: "contact_created", payload: { n: 1 }, idempotency_key: "k-1" },
      { event: "contact_created", payload: { n: 2 }, idempotency_key: "k-2" },
    ];
    const first = await batch({ events });
    const again = await batch({ events });
    expect(again.body.data).toEqual(first.body.data);
    expect(putCalls()).toHaveLength(1);
    const changed = await batch({ events: [{ ...events[0], payload: { n: 9 } }] });
    expect(changed.body.data[0].error).toMatchObject({ status_code: 409, error_type: "CONFLICT" });
  });

  it("needs a linked account in the item or in the header", async () => {
    const answer = await batch(
      {
        events: [
          { event: "contact_created" },
          { event: "contact_created", linked_account_id: "acme" },
        ],
      },
      {},
    );
    expect(answer.body.data[0].error.message).toBe(
      "linked_account_id is required, in the item or in its header",
    );
    expect(answer.body.data[1]).toEqual({ event_id: expect.any(String) });
  });

  it("refuses an item that is not a trigger's shape, and only that item", async () => {
    const answer = await batch({
      events: [
        "contact_created",
        { event: "contact_created", extra: 1 },
        { event: "contact_created" },
      ],
    });
    expect(answer.body.data[0].error).toMatchObject({
      status_code: 400,
      message: "item must be an object",
    });
    expect(answer.body.data[1].error.message).toBe('item has unknown field "extra"');
    expect(answer.body.data[2]).toEqual({ event_id: expect.any(String) });
  });

  it.each([
    ["an array", [], "body must be a JSON object, not an array"],
    ["without events", {}, "events is required"],
    ["with no events", { events: [] }, "events must hold at least 1 item"],
    [
      "with 101 events",
      { events: Array.from({ length: 101 }, () => ({ event: "contact_created" })) },
      "events must hold at most 100 items",
    ],
    [
      "with another field",
      { events: [{ event: "contact_created" }], extra: true },
      'body has unknown field "extra"',
    ],
  ])(
    "answers 400 for the whole request to a body %s, and stores nothing",
    async (_, body, message) => {
      const answer = await batch(body);
      expect(answer.status).toBe(400);
      expect(answer.body.message).toBe(message);
      expect(putCalls()).toEqual([]);
      expect(await pipeline.table.items("event")).toEqual([]);
    },
  );

  it("answers each item of a PutEvents call by its own entry: a refused one is undone, the others accepted", async () => {
    pipeline.messaging.eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [
          { EventId: "eb-0" },
          { ErrorCode: "InvalidArgument", ErrorMessage: "Detail is not valid" },
          { EventId: "eb-2" },
        ],
      })
      .callsFake(takeAll);
    const events = [1, 2, 3].map((n) => ({
      event: "contact_created",
      payload: { n },
      idempotency_key: `k-${n}`,
    }));

    const answer = await batch({ events });

    const [first, refused, third] = answer.body.data;
    expect(first).toEqual({ event_id: expect.any(String) });
    expect(third).toEqual({ event_id: expect.any(String) });
    expect(refused.error).toMatchObject({ status_code: 500, error_type: "INTERNAL_ERROR" });
    const stored = (await pipeline.table.items("event")).map((item) => item.event_id);
    expect(stored.sort()).toEqual([first.event_id, third.event_id].sort());
    // The refused item's key was released: the same item again is a new event.
    const again = await batch({ events: [events[1]] });
    expect(again.body.data[0]).toEqual({ event_id: expect.any(String) });
  });

  it("answers an item that repeats an earlier item's key as a retry with that key", async () => {
    const item = { event: "contact_created", payload: { n: 1 }, idempotency_key: "k-1" };
    const answer = await batch({
      events: [item, item, { ...item, payload: { n: 2 } }],
    });
    const [first, repeat, changed] = answer.body.data;
    expect(repeat).toEqual(first);
    expect(changed.error).toMatchObject({ status_code: 409, error_type: "CONFLICT" });
    expect(putCalls().flat()).toHaveLength(1);
  });

  it("refuses the idempotency-key header: each item has its own", async () => {
    const answer = await batch(
      { events: [{ event: "contact_created" }] },
      { linked_account_id: "acme", "idempotency-key": "k-1" },
    );
    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe(
      "the idempotency-key header does not apply to a batch: give each item its idempotency_key",
    );
    expect(await pipeline.table.items("event")).toEqual([]);
  });

  it("answers a 500 for the items of a PutEvents call that failed, and accepts the others", async () => {
    const events = Array.from({ length: 12 }, (_, n) => ({
      event: "contact_created",
      payload: { n },
    }));
    pipeline.messaging.eventBridge
      .on(PutEventsCommand)
      .rejectsOnce(Object.assign(new Error("socket timed out"), { name: "TimeoutError" }))
      .callsFake(takeAll);
    const answer = await batch({
      events: events.map((item, n) => ({ ...item, idempotency_key: `k-${n}` })),
    });
    const failed = answer.body.data.filter((item: { error?: unknown }) => item.error);
    expect(failed).toHaveLength(10);
    expect(failed[0].error).toMatchObject({ status_code: 500, error_type: "INTERNAL_ERROR" });
    expect(answer.body.data.filter((item: { event_id?: string }) => item.event_id)).toHaveLength(2);
    // The bus may have taken them: their events stay, and their keys' leases have ended.
    expect(await pipeline.table.items("event")).toHaveLength(12);
    const claims = await pipeline.table.items("idempotency_key");
    const pending = claims.filter((claim) => claim.state === "pending");
    expect(pending).toHaveLength(10);
    for (const claim of pending)
      expect(Date.parse(String(claim.lease_until))).toBeLessThanOrEqual(Date.now() + 1);
  });
});
