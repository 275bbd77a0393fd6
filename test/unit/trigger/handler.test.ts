import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Store } from "../../../functions/core/ports.ts";
import { deepArrays, deepObjects } from "../../support/deep-json.ts";
import { fixedClock, freshApp, type Invoke, usePipeline } from "../../support/harness.ts";

const sample = {
  first_name: "Mark",
  is_new: false,
  address: { house_no: "221", pincode: 560103 },
  tags: ["vip"],
};

const pipeline = usePipeline();
let call: Invoke;
let appId: string;
let store: Store;
let clock: ReturnType<typeof fixedClock>;

beforeEach(async () => {
  clock = fixedClock();
  ({ call, appId, store } = await freshApp(pipeline, clock));
  const created = await call({
    method: "POST",
    path: "/api/v2/events",
    body: { name: "Contact Created", sample_payload: sample },
  });
  expect(created.status).toBe(201);
  pipeline.messaging.reset();
});

const trigger = (body: unknown, headers: Record<string, string> = { linked_account_id: "acme" }) =>
  call({ method: "POST", path: "/api/v2/public/event/contact_created", headers, body });

/** The event id of every entry put on the bus so far, in order. */
const publishedIds = () => pipeline.messaging.publishedEvents().map((event) => event.event_id);

/** An error as the SDK throws it when PutEvents got no answer in time. */
const timeout = () => Object.assign(new Error("socket timed out"), { name: "TimeoutError" });

/** A PutEvents answer that refuses the one entry for good. */
const refusedForGood = {
  FailedEntryCount: 1,
  Entries: [{ ErrorCode: "InvalidArgument", ErrorMessage: "Detail is not valid" }],
};

/** PutEvents as the bus answers when it takes every entry. */
const takeAll = (input: { Entries?: unknown[] }) => ({
  FailedEntryCount: 0,
  Entries: (input.Entries ?? []).map((_, index) => ({ EventId: `eb-${index}` })),
});

/** The next PutEvents fails as `fail` says; every later one takes its entries. */
function failPutEventsOnce(fail: { rejects: Error } | { resolves: typeof refusedForGood }) {
  const stub = pipeline.messaging.eventBridge.on(PutEventsCommand);
  ("rejects" in fail ? stub.rejectsOnce(fail.rejects) : stub.resolvesOnce(fail.resolves)).callsFake(
    takeAll,
  );
}

/** Makes the next DynamoDB update that marks an idempotency key done fail, once. */
function failNextKeyCompletion() {
  const { doc } = pipeline.table;
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { ExpressionAttributeValues?: Record<string, unknown> };
      if (
        context.commandName === "UpdateItemCommand" &&
        input.ExpressionAttributeValues?.[":done"] === "done"
      ) {
        doc.middlewareStack.remove("fail-key-completion");
        throw Object.assign(new Error("throughput exceeded"), {
          name: "ProvisionedThroughputExceededException",
        });
      }
      return next(args);
    },
    { step: "initialize", name: "fail-key-completion" },
  );
}

describe("POST /api/v2/public/event/{slug}", () => {
  it("accepts an event and puts exactly one EventBridge entry", async () => {
    const response = await trigger({ event: "contact_created", payload: { first_name: "Ada" } });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      message: "Webhook Fired Success",
      event_id: expect.stringMatching(/^evt_[0-9A-Z]{26}$/),
      request_id: response.headers["x-request-id"],
    });
    expect(pipeline.messaging.eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const [entry] =
      pipeline.messaging.eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(entry).toMatchObject({ Source: "switchyard.app", DetailType: "contact_created" });
    expect(JSON.parse(entry?.Detail ?? "")).toMatchObject({
      v: 1,
      app_id: appId,
      event_id: response.body.event_id,
      type: "contact_created",
      linked_account_id: "acme",
      payload: { first_name: "Ada" },
    });
  });
});

describe("idempotency-key", () => {
  const withKey = (key: string) => ({ linked_account_id: "acme", "idempotency-key": key });

  it("answers a replayed key with the first event id and routes nothing", async () => {
    const body = { payload: { first_name: "Ada" } };
    const first = await trigger(body, withKey("order-1"));
    const again = await trigger(body, withKey("order-1"));
    expect(again.status).toBe(200);
    expect(again.body.event_id).toBe(first.body.event_id);
    expect(again.body.request_id).not.toBe(first.body.request_id);
    expect(pipeline.messaging.eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(await pipeline.table.items("event")).toHaveLength(1);
  });

  it("treats the same body with its keys in another order as the same request", async () => {
    const first = await trigger({ payload: { b: 1, a: { y: 2, x: 1 } } }, withKey("order-4"));
    const again = await trigger({ payload: { a: { x: 1, y: 2 }, b: 1 } }, withKey("order-4"));
    expect(again.status).toBe(200);
    expect(again.body.event_id).toBe(first.body.event_id);
  });

  it("answers 200 when marking the key answered fails, and a retry after the lease puts the same event again", async () => {
    const body = { payload: { first_name: "Ada" } };
    failNextKeyCompletion();
    const first = await trigger(body, withKey("order-5"));
    expect(first.status).toBe(200);
    expect(await pipeline.table.items("idempotency_key")).toEqual([
      expect.objectContaining({ state: "pending", event_id: first.body.event_id }),
    ]);

    // Within the lease the request might still be running: nothing is put on the bus.
    const early = await trigger(body, withKey("order-5"));
    expect(early.status).toBe(409);
    expect(early.body.message).toBe("a request with this idempotency-key is still in progress");
    expect(publishedIds()).toEqual([first.body.event_id]);

    clock.set("2026-11-23T01:28:19.999Z"); // still within the claim's 20 s lease
    expect((await trigger(body, withKey("order-5"))).status).toBe(409);
    clock.set("2026-11-23T01:28:20.000Z"); // the lease is over
    const retried = await trigger(body, withKey("order-5"));
    expect(retried.status).toBe(200);
    expect(retried.body.event_id).toBe(first.body.event_id);
    expect(publishedIds()).toEqual([first.body.event_id, first.body.event_id]);
    expect(await pipeline.table.items("event")).toHaveLength(1);
    expect(await pipeline.table.items("idempotency_key")).toEqual([
      expect.objectContaining({ state: "done", event_id: first.body.event_id }),
    ]);

    const replayed = await trigger(body, withKey("order-5"));
    expect(replayed.body.event_id).toBe(first.body.event_id);
    expect(publishedIds()).toHaveLength(2);
  });

  it("answers 409 when the key comes back with another body", async () => {
    await trigger({ payload: { first_name: "Ada" } }, withKey("order-2"));
    const other = await trigger({ payload: { first_name: "Grace" } }, withKey("order-2"));
    expect(other.status).toBe(409);
    expect(other.body.error_type).toBe("CONFLICT");
    expect(pipeline.messaging.eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
  });

  it("forgets a request the bus refused for good, so a retry with the key makes its event", async () => {
    failPutEventsOnce({ resolves: refusedForGood });
    const failed = await trigger({ payload: {} }, withKey("order-3"));
    expect(failed.status).toBe(500);
    expect(await pipeline.table.items("idempotency_key")).toEqual([]);

    const retried = await trigger({ payload: {} }, withKey("order-3"));
    expect(retried.status).toBe(200);
    const [refusedId, acceptedId] = publishedIds();
    expect(acceptedId).toBe(retried.body.event_id);
    expect(acceptedId).not.toBe(refusedId);
    expect(await pipeline.table.items("event")).toEqual([
      expect.objectContaining({ event_id: acceptedId }),
    ]);
  });

  it("keeps the event when PutEvents times out, and a retry at once puts that same event again", async () => {
    const body = { payload: { first_name: "Ada" } };
    failPutEventsOnce({ rejects: timeout() });
    const failed = await trigger(body, withKey("order-6"));
    expect(failed.status).toBe(500);
    const [sentId] = publishedIds();
    // The bus may have taken the event: the fan-out may look it up, so it stays.
    expect(await pipeline.table.items("event")).toEqual([
      expect.objectContaining({ event_id: sentId, payload: body.payload }),
    ]);

    const retried = await trigger(body, withKey("order-6"));
    expect(retried.status).toBe(200);
    expect(retried.body.event_id).toBe(sentId);
    expect(publishedIds()).toEqual([sentId, sentId]);
    expect(await pipeline.table.items("event")).toHaveLength(1);
    expect(await pipeline.table.items("idempotency_key")).toEqual([
      expect.objectContaining({ state: "done", event_id: sentId }),
    ]);
  });

  it("keeps the event when the entry keeps failing with a retryable error", async () => {
    pipeline.messaging.eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: "ThrottlingException", ErrorMessage: "rate exceeded" }],
    });
    const failed = await trigger({ payload: {} }, withKey("order-7"));
    expect(failed.status).toBe(500);
    const sentIds = new Set(publishedIds());
    expect(sentIds.size).toBe(1);

    pipeline.messaging.reset();
    const retried = await trigger({ payload: {} }, withKey("order-7"));
    expect(retried.status).toBe(200);
    expect(sentIds).toEqual(new Set([retried.body.event_id]));
    expect(publishedIds()).toEqual([retried.body.event_id]);
  });

  it("keeps the event when a retry's put fails again, even for good, and the next retry puts it", async () => {
    failPutEventsOnce({ rejects: timeout() });
    await trigger({ payload: {} }, withKey("order-8"));
    const [sentId] = publishedIds();

    // An earlier put may have been taken, so even a refusal of the second one undoes nothing.
    pipeline.messaging.reset();
    failPutEventsOnce({ resolves: refusedForGood });
    const second = await trigger({ payload: {} }, withKey("order-8"));
    expect(second.status).toBe(500);
    expect(publishedIds()).toEqual([sentId]);
    expect(await pipeline.table.items("event")).toHaveLength(1);

    pipeline.messaging.reset();
    const third = await trigger({ payload: {} }, withKey("order-8"));
    expect(third.status).toBe(200);
    expect(third.body.event_id).toBe(sentId);
    expect(publishedIds()).toEqual([sentId]);
  });

  it("answers 409 to another body under the key of an event the bus may have taken", async () => {
    failPutEventsOnce({ rejects: timeout() });
    await trigger({ payload: { first_name: "Ada" } }, withKey("order-9"));

    const other = await trigger({ payload: { first_name: "Grace" } }, withKey("order-9"));
    expect(other.status).toBe(409);
    expect(other.body.message).toBe("idempotency-key was already used with another request");
    expect(publishedIds()).toHaveLength(1);
  });

  describe("a claim left by a request that died before storing its event", () => {
    const deadClaim = {
      key: "order-10",
      body_hash: "0".repeat(64),
      event_id: "evt_01M83400000000000000000000",
      state: "pending" as const,
      created_at: "2026-11-23T01:27:00.000Z",
      lease_until: "2026-11-23T01:28:00.000Z",
    };

    // The dead claim was made for another body: with its event never stored, the key is free.
    it("is taken over once its lease is over, with an event of this request's own", async () => {
      await store.claimIdempotencyKey(appId, deadClaim, 24 * 60 * 60 * 1000);

      const response = await trigger({ payload: {} }, withKey("order-10"));

      expect(response.status).toBe(200);
      expect(response.body.event_id).not.toBe(deadClaim.event_id);
      expect(publishedIds()).toEqual([response.body.event_id]);
      expect(await pipeline.table.items("idempotency_key")).toEqual([
        expect.objectContaining({ state: "done", event_id: response.body.event_id }),
      ]);
    });

    it("is not taken over while its lease runs", async () => {
      const leased = { ...deadClaim, lease_until: "2026-11-23T01:28:00.001Z" };
      await store.claimIdempotencyKey(appId, leased, 24 * 60 * 60 * 1000);

      const response = await trigger({ payload: {} }, withKey("order-10"));

      expect(response.status).toBe(409);
      expect(publishedIds()).toEqual([]);
      expect(await pipeline.table.items("event")).toEqual([]);
    });
  });
});

describe("idempotency-key limits, window and races", () => {
  const withKey = (key: string) => ({ linked_account_id: "acme", "idempotency-key": key });

  it("accepts a key of 255 characters", async () => {
    const response = await trigger({ payload: {} }, withKey("k".repeat(255)));
    expect(response.status).toBe(200);
  });

  it.each([
    ["empty", ""],
    ["of 256 characters", "k".repeat(256)],
  ])("refuses a key that is %s, storing and routing nothing", async (_name, key) => {
    const response = await trigger({ payload: {} }, withKey(key));
    expect(response.status).toBe(400);
    expect(response.body.message).toBe("idempotency-key must be 1 to 255 characters long");
    expect(publishedIds()).toEqual([]);
    expect(await pipeline.table.items("event")).toEqual([]);
    expect(await pipeline.table.items("idempotency_key")).toEqual([]);
  });

  it("replays an answered key long after the claim's lease, putting nothing on the bus", async () => {
    const first = await trigger({ payload: {} }, withKey("w-1"));
    clock.set("2026-11-23T02:28:00.000Z"); // an hour later

    const again = await trigger({ payload: {} }, withKey("w-1"));

    expect(again.status).toBe(200);
    expect(again.body.event_id).toBe(first.body.event_id);
    expect(publishedIds()).toEqual([first.body.event_id]);
  });

  it("remembers a key for 24 hours to the millisecond, then takes it as new", async () => {
    const first = await trigger({ payload: {} }, withKey("w-2"));

    clock.set("2026-11-24T01:28:00.000Z"); // exactly 24 h later: still remembered
    const lastReplay = await trigger({ payload: {} }, withKey("w-2"));
    expect(lastReplay.body.event_id).toBe(first.body.event_id);

    clock.set("2026-11-24T01:28:00.001Z");
    const fresh = await trigger({ payload: { other: "body" } }, withKey("w-2"));
    expect(fresh.status).toBe(200);
    expect(fresh.body.event_id).not.toBe(first.body.event_id);
    expect(publishedIds()).toEqual([first.body.event_id, fresh.body.event_id]);
  });

  it("answers 409 to another body while the key's request is in progress", async () => {
    failNextKeyCompletion();
    await trigger({ payload: { first_name: "Ada" } }, withKey("w-3"));

    const other = await trigger({ payload: { first_name: "Grace" } }, withKey("w-3"));

    expect(other.status).toBe(409);
    expect(other.body.message).toBe("idempotency-key was already used with another request");
    expect(publishedIds()).toHaveLength(1);
  });

  it("answers 409 and puts nothing when another retry takes the claim over first", async () => {
    failPutEventsOnce({ rejects: timeout() });
    const failed = await trigger({ payload: {} }, withKey("w-4"));
    expect(failed.status).toBe(500);
    const takeOver = store.replaceIdempotencyClaim.bind(store);
    store.replaceIdempotencyClaim = async (app, expected, next, windowMs) => {
      // Another retry takes the claim over between this one's read and its write.
      await takeOver(
        app,
        expected,
        { ...expected, lease_until: "2026-11-23T01:29:00.000Z" },
        windowMs,
      );
      return takeOver(app, expected, next, windowMs);
    };

    const retried = await trigger({ payload: {} }, withKey("w-4"));

    expect(retried.status).toBe(409);
    expect(retried.body.message).toBe("a request with this idempotency-key is still in progress");
    expect(publishedIds()).toHaveLength(1);
  });
});

describe("when the hand-off to the bus fails", () => {
  it("answers 500 and leaves nothing stored when the bus refuses the entry for good", async () => {
    pipeline.messaging.eventBridge.on(PutEventsCommand).resolves(refusedForGood);
    const response = await trigger(
      { payload: {} },
      {
        linked_account_id: "acme",
        "idempotency-key": "k1",
      },
    );
    expect(response.status).toBe(500);
    expect(response.body).toEqual({
      status_code: 500,
      error_type: "INTERNAL_ERROR",
      message: "the event could not be accepted; try again",
      request_id: response.headers["x-request-id"],
    });
    expect(JSON.stringify(response.body)).not.toContain("Detail is not valid");
    // A refusal is final: it is not sent again.
    expect(pipeline.messaging.eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(await pipeline.table.items("event")).toEqual([]);
    expect(await pipeline.table.items("idempotency_key")).toEqual([]);
  });

  it("answers 500 and leaves nothing stored when the bus refuses the entry of a request without a key", async () => {
    pipeline.messaging.eventBridge.on(PutEventsCommand).resolves(refusedForGood);
    const response = await trigger({ payload: {} });
    expect(response.status).toBe(500);
    expect(response.body.message).toBe("the event could not be accepted; try again");
    expect(await pipeline.table.items("event")).toEqual([]);
  });

  it("answers 500 and keeps the event when PutEvents throws: the bus may have taken it", async () => {
    pipeline.messaging.eventBridge.on(PutEventsCommand).rejects(timeout());
    const response = await trigger(
      { payload: {} },
      { linked_account_id: "acme", "idempotency-key": "k2" },
    );
    expect(response.status).toBe(500);
    expect(response.body.error_type).toBe("INTERNAL_ERROR");
    const [sentId] = publishedIds();
    expect(await pipeline.table.items("event")).toEqual([
      expect.objectContaining({ event_id: sentId }),
    ]);
    // The claim stays, its lease ended, so that a retry puts this event again at once.
    expect(await pipeline.table.items("idempotency_key")).toEqual([
      expect.objectContaining({
        state: "pending",
        event_id: sentId,
        lease_until: "2026-11-23T01:28:00.000Z",
      }),
    ]);
  });

  it("keeps the event of a request without a key when PutEvents throws", async () => {
    pipeline.messaging.eventBridge.on(PutEventsCommand).rejects(new Error("socket hang up"));
    const response = await trigger({ payload: {} });
    expect(response.status).toBe(500);
    expect(await pipeline.table.items("event")).toHaveLength(1);
  });

  it("answers 500 and leaves nothing stored when the event cannot be stored", async () => {
    const original = store.putEvent;
    store.putEvent = async () => {
      throw new Error("throughput exceeded");
    };
    try {
      const response = await trigger(
        { payload: {} },
        { linked_account_id: "acme", "idempotency-key": "k3" },
      );
      expect(response.status).toBe(500);
      expect(pipeline.messaging.eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
      expect(await pipeline.table.items("idempotency_key")).toEqual([]);
    } finally {
      store.putEvent = original;
    }
  });

  it("answers 200 when a partial failure succeeds on resend", async () => {
    pipeline.messaging.eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: "ThrottlingException" }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: "1" }] });
    const response = await trigger({ payload: {} });
    expect(response.status).toBe(200);
    expect(pipeline.messaging.eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 2);
  });
});

describe("naming the event", () => {
  it("takes the event from the body alone on POST /api/v2/public/event", async () => {
    const response = await call({
      method: "POST",
      path: "/api/v2/public/event",
      headers: { linked_account_id: "acme" },
      body: { event: "Contact Created", payload: {} },
    });
    expect(response.status).toBe(200);
  });

  it("accepts Paragon's `name` as an alias of `event`", async () => {
    const response = await call({
      method: "POST",
      path: "/api/v2/public/event",
      headers: { linked_account_id: "acme" },
      body: { name: "contact_created" },
    });
    expect(response.status).toBe(200);
  });

  it("accepts a body that gives event and name alike", async () => {
    const response = await call({
      method: "POST",
      path: "/api/v2/public/event",
      headers: { linked_account_id: "acme" },
      body: { event: "contact_created", name: "contact_created" },
    });
    expect(response.status).toBe(200);
  });

  it("refuses a body whose event and name differ", async () => {
    const response = await call({
      method: "POST",
      path: "/api/v2/public/event",
      headers: { linked_account_id: "acme" },
      body: { event: "contact_created", name: "Contact Created" },
    });
    expect(response.status).toBe(400);
    expect(response.body.message).toBe("event and name must be the same when both are given");
  });

  it("refuses a body without an event on the route without a slug", async () => {
    const response = await call({
      method: "POST",
      path: "/api/v2/public/event",
      headers: { linked_account_id: "acme" },
      body: { payload: {} },
    });
    expect(response.status).toBe(400);
    expect(response.body.message).toBe("event is required");
    expect(publishedIds()).toEqual([]);
  });

  it("answers an unknown event with Cobalt's wording and the name as written", async () => {
    const response = await call({
      method: "POST",
      path: "/api/v2/public/event",
      headers: { linked_account_id: "acme" },
      body: { event: "Wrong_Event" },
    });
    expect(response.status).toBe(400);
    expect(response.body.message).toBe(
      `Trigger with name Wrong_Event not found for application ${appId}`,
    );
  });

  it("names the unknown path slug, not the event the body names", async () => {
    const response = await call({
      method: "POST",
      path: "/api/v2/public/event/nope",
      headers: { linked_account_id: "acme" },
      body: { event: "contact_created" },
    });
    expect(response.status).toBe(400);
    expect(response.body.message).toBe(`Trigger with name nope not found for application ${appId}`);
  });

  it("answers 405 for another method on a trigger path", async () => {
    for (const path of ["/api/v2/public/event/contact_created", "/api/v2/public/event"]) {
      const response = await call({ method: "GET", path });
      expect(response.status, path).toBe(405);
      expect(response.body.error_type).toBe("METHOD_NOT_ALLOWED");
    }
  });

  it("answers an unknown slug in the path the same way", async () => {
    const response = await call({
      method: "POST",
      path: "/api/v2/public/event/nope",
      headers: { linked_account_id: "acme" },
      body: {},
    });
    expect(response.status).toBe(400);
    expect(response.body.message).toBe(`Trigger with name nope not found for application ${appId}`);
  });

  it("refuses a body event that names another definition than the path", async () => {
    await call({
      method: "POST",
      path: "/api/v2/events",
      body: { name: "Invoice Paid", sample_payload: {} },
    });
    const response = await trigger({ event: "invoice_paid" });
    expect(response.status).toBe(400);
    expect(response.body.message).toContain("contact_created");
  });
});

describe("bad input stores nothing and routes nothing", () => {
  const cases: [string, () => ReturnType<Invoke>, number, string][] = [
    ["missing linked_account_id", () => trigger({ payload: {} }, {}), 400, "linked_account_id"],
    ["payload that is an array", () => trigger({ payload: [1] }), 400, "payload must be an object"],
    ["unknown field", () => trigger({ payload: {}, extra: 1 }), 400, '"extra"'],
    [
      "malformed JSON",
      () => trigger('{"payload": {', { linked_account_id: "acme" }),
      400,
      "not valid JSON",
    ],
    [
      "a body that is not JSON",
      () =>
        call({
          method: "POST",
          path: "/api/v2/public/event/contact_created",
          headers: { linked_account_id: "acme", "content-type": "text/plain" },
          body: "hello",
        }),
      415,
      "application/json",
    ],
    [
      "a body over 256 KiB",
      () => trigger({ payload: { blob: "x".repeat(256 * 1024) } }),
      413,
      "262144",
    ],
    [
      "payload nested deeper than 32 levels",
      () => {
        let deep: Record<string, unknown> = {};
        for (let level = 0; level < 33; level++) deep = { a: deep };
        return trigger({ payload: deep });
      },
      400,
      "deeper than 32",
    ],
    [
      "payload nested 33 levels deep",
      () => trigger(`{"payload":${deepObjects(33)}}`),
      400,
      "payload nests deeper than 32 levels",
    ],
    [
      "payload nested 5,000 levels deep",
      () => trigger(`{"payload":${deepObjects(5_000)}}`),
      400,
      "payload nests deeper than 32 levels",
    ],
    [
      "payload holding 50,000 nested arrays",
      () => trigger(`{"payload":{"list":${deepArrays(50_000)}}}`),
      400,
      "payload nests deeper than 32 levels",
    ],
    [
      "missing key",
      () =>
        call({
          method: "POST",
          path: "/api/v2/public/event/contact_created",
          apiKey: null,
          body: {},
        }),
      401,
      "x-api-key",
    ],
    [
      "unknown key",
      () =>
        call({
          method: "POST",
          path: "/api/v2/public/event/contact_created",
          apiKey: `sk_${"A".repeat(43)}`,
          body: {},
        }),
      401,
      "x-api-key",
    ],
  ];

  it.each(cases)("%s", async (_name, send, status, message) => {
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.body.status_code).toBe(status);
    expect(response.body.message).toContain(message);
    expect(response.body.request_id).toBe(response.headers["x-request-id"]);
    expect(pipeline.messaging.eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
    expect(await pipeline.table.items("event")).toEqual([]);
  });

  it("accepts a payload nested exactly 32 levels deep, the limit", async () => {
    const response = await trigger(`{"payload":${deepObjects(32)}}`);
    expect(response.status).toBe(200);
  });

  it("checks the key before the size: an oversized body without a key is a 401", async () => {
    const response = await call({
      method: "POST",
      path: "/api/v2/public/event/contact_created",
      apiKey: null,
      headers: { "content-type": "text/plain" },
      body: "x".repeat(300 * 1024),
    });
    expect(response.status).toBe(401);
  });

  it("checks the size before the media type: an oversized text body is a 413", async () => {
    const response = await call({
      method: "POST",
      path: "/api/v2/public/event/contact_created",
      headers: { "content-type": "text/plain", linked_account_id: "acme" },
      body: "x".repeat(300 * 1024),
    });
    expect(response.status).toBe(413);
  });
});

describe("a cached definition", () => {
  it("is read once by a burst of triggers, and a change applies within 5 s", async () => {
    const reads = vi.spyOn(store, "getDefinition");
    for (let n = 0; n < 3; n++) expect((await trigger({ payload: {} })).status).toBe(200);
    expect(reads).toHaveBeenCalledTimes(1);

    await call({
      method: "PATCH",
      path: "/api/v2/events/contact_created",
      body: { strict: true },
    });
    clock.set(new Date(clock.now().getTime() + 5_000).toISOString());
    const refused = await trigger({ payload: {} });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain("payload.first_name");
  });

  it("is not remembered while missing: a definition created after a 400 is found at once", async () => {
    const fire = () =>
      call({
        method: "POST",
        path: "/api/v2/public/event/order_placed",
        headers: { linked_account_id: "acme" },
        body: {},
      });
    expect((await fire()).status).toBe(400);
    await call({
      method: "POST",
      path: "/api/v2/events",
      body: { name: "Order Placed", sample_payload: {} },
    });
    expect((await fire()).status).toBe(200);
  });
});

describe("strict definitions", () => {
  beforeEach(async () => {
    await call({
      method: "POST",
      path: "/api/v2/events",
      body: {
        name: "Order Placed",
        sample_payload: { total: 1, customer: { email: "a@b.c" } },
        strict: true,
      },
    });
  });
  const place = (payload: unknown) =>
    call({
      method: "POST",
      path: "/api/v2/public/event/order_placed",
      headers: { linked_account_id: "acme" },
      body: { payload },
    });

  it("accepts a payload with every sample path, extra keys allowed", async () => {
    const response = await place({ total: 3, customer: { email: "x@y.z", vip: true } });
    expect(response.status).toBe(200);
  });

  it("refuses a payload that lacks a sample path, naming it", async () => {
    const response = await place({ total: 3, customer: {} });
    expect(response.status).toBe(400);
    expect(response.body.message).toContain("payload.customer.email");
  });

  it("refuses a payload whose value has another JSON type, naming it", async () => {
    const response = await place({ total: "3", customer: { email: "x@y.z" } });
    expect(response.status).toBe(400);
    expect(response.body.message).toBe("payload.total must be a number");
  });

  it("does not check payloads of a definition that is not strict", async () => {
    const response = await trigger({ payload: { anything: ["goes"] } });
    expect(response.status).toBe(200);
  });
});
