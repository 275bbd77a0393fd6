import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadRequest } from "../../../functions/core/errors.ts";
import { type DeliveryTarget, newId } from "../../../functions/core/ids.ts";
import type {
  App,
  Attempt,
  Delivery,
  EventDefinition,
  Subscription,
} from "../../../functions/core/model.ts";
import type { IdempotencyRecord, Store } from "../../../functions/core/ports.ts";
import { startTestTable, type TestTable } from "../../support/dynamo.ts";
import { testDelivery, testSubscription } from "../../support/events.ts";

const APP_A = "app_01HZY00000000000000000000A";
const APP_B = "app_01HZY00000000000000000000B";
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

let table: TestTable;

beforeAll(async () => {
  table = await startTestTable();
});

afterAll(async () => {
  await table?.close();
});

/** 2026-05-01T00:00:00.000Z plus `seconds`. */
function at(seconds: number): string {
  return new Date(Date.UTC(2026, 4, 1) + seconds * 1000).toISOString();
}

function definition(slug: string, createdAt = at(0), name = `Event ${slug}`): EventDefinition {
  return {
    slug,
    name,
    description: null,
    sample_payload: { first_name: "Mark" },
    strict: false,
    created_at: createdAt,
    updated_at: createdAt,
  };
}

function subscription(): Subscription {
  return testSubscription({ id: newId("subscription"), events: ["*"] });
}

function webhook(id: string): DeliveryTarget {
  return { type: "webhook", id };
}

function delivery(
  appId: string,
  eventId: string,
  target: DeliveryTarget,
  overrides: Partial<Delivery> = {},
): Delivery {
  return testDelivery(appId, eventId, target, overrides, at(0));
}

function attempt(number: number, statusCode: number | null = 500): Attempt {
  return {
    attempt: number,
    at: at(60 * number),
    status_code: statusCode,
    duration_ms: 12,
    response_body: statusCode === null ? null : "nope",
    error: statusCode !== null && statusCode < 300 ? null : "HTTP 500",
  };
}

function idempotency(key: string, createdAt: Date, eventId = newId("event")): IdempotencyRecord {
  return {
    key,
    body_hash: `hash-of-${eventId}`,
    event_id: eventId,
    state: "pending",
    created_at: createdAt.toISOString(),
    lease_until: new Date(createdAt.getTime() + 60_000).toISOString(),
  };
}

/** The error a promise rejects with, which must be a BadRequest (400). */
async function badRequest(promise: Promise<unknown>): Promise<BadRequest> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BadRequest);
  expect((error as BadRequest).statusCode).toBe(400);
  return error as BadRequest;
}

describe("DynamoDB store: event definitions", () => {
  it("creates a definition and refuses a second one with the same slug", async () => {
    const store = await table.freshStore();

    expect(await store.createDefinition(APP_A, definition("contact_created"))).toBe(true);
    expect(
      await store.createDefinition(APP_A, definition("contact_created", at(5), "Another name")),
    ).toBe(false);

    expect(await store.getDefinition(APP_A, "contact_created")).toEqual(
      definition("contact_created"),
    );
  });

  it("lets two apps use the same slug", async () => {
    const store = await table.freshStore();

    expect(await store.createDefinition(APP_A, definition("contact_created"))).toBe(true);
    expect(await store.createDefinition(APP_B, definition("contact_created"))).toBe(true);
  });

  it("lists definitions newest first, page after page, with no overlap and no gap", async () => {
    const store = await table.freshStore();
    const slugs = Array.from({ length: 7 }, (_, i) => `event_${i}`);
    for (const [i, slug] of slugs.entries()) {
      await store.createDefinition(APP_A, definition(slug, at(i)));
    }

    const first = await store.listDefinitions(APP_A, { limit: 3 });
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await store.listDefinitions(APP_A, {
      limit: 3,
      cursor: first.next_cursor ?? undefined,
    });
    expect(second.next_cursor).toEqual(expect.any(String));
    const third = await store.listDefinitions(APP_A, {
      limit: 3,
      cursor: second.next_cursor ?? undefined,
    });

    expect(first.data.map((d) => d.slug)).toEqual(["event_6", "event_5", "event_4"]);
    expect(second.data.map((d) => d.slug)).toEqual(["event_3", "event_2", "event_1"]);
    expect(third.data.map((d) => d.slug)).toEqual(["event_0"]);
    expect(third.next_cursor).toBeNull();
  });

  it("answers no cursor when the page holds exactly the last items", async () => {
    const store = await table.freshStore();
    for (let i = 0; i < 3; i++) await store.createDefinition(APP_A, definition(`e${i}`, at(i)));

    const page = await store.listDefinitions(APP_A, { limit: 3 });

    expect(page.data).toHaveLength(3);
    expect(page.next_cursor).toBeNull();
  });

  it("lists definitions as domain records, without table keys", async () => {
    const store = await table.freshStore();
    await store.createDefinition(APP_A, definition("contact_created"));

    const page = await store.listDefinitions(APP_A, { limit: 10 });

    expect(page.data).toEqual([definition("contact_created")]);
  });

  it("refuses a cursor of app A's list on app B's list with a 400", async () => {
    const store = await table.freshStore();
    for (let i = 0; i < 4; i++) {
      await store.createDefinition(APP_A, definition(`a_${i}`, at(i)));
      await store.createDefinition(APP_B, definition(`b_${i}`, at(i)));
    }
    const pageOfA = await store.listDefinitions(APP_A, { limit: 2 });
    expect(pageOfA.next_cursor).not.toBeNull();

    await badRequest(
      store.listDefinitions(APP_B, { limit: 2, cursor: pageOfA.next_cursor ?? undefined }),
    );
  });

  it("refuses a garbage cursor with a 400", async () => {
    const store = await table.freshStore();
    await store.createDefinition(APP_A, definition("contact_created"));

    await badRequest(store.listDefinitions(APP_A, { limit: 2, cursor: "not-a-cursor" }));
    await badRequest(store.listDefinitions(APP_A, { limit: 2, cursor: "%%%" }));
    const wrongShape = Buffer.from(JSON.stringify({ PK: `APP#${APP_A}` })).toString("base64url");
    await badRequest(store.listDefinitions(APP_A, { limit: 2, cursor: wrongShape }));
  });

  it("never shows app A's definitions to app B", async () => {
    const store = await table.freshStore();
    await store.createDefinition(APP_A, definition("secret_of_a", at(0), "Secret of A"));

    expect(await store.getDefinition(APP_B, "secret_of_a")).toBeNull();
    expect(await store.findDefinitionByName(APP_B, "Secret of A")).toBeNull();
    expect((await store.listDefinitions(APP_B, { limit: 50 })).data).toEqual([]);
    expect(await store.replaceDefinition(APP_B, definition("secret_of_a"))).toBe(false);
    expect(await store.deleteDefinition(APP_B, "secret_of_a")).toBe(false);
    expect(await store.getDefinition(APP_A, "secret_of_a")).not.toBeNull();
  });

  it("finds a definition by its name, and answers null for an unknown name", async () => {
    const store = await table.freshStore();
    await store.createDefinition(APP_A, definition("contact_created", at(0), "Contact Created"));
    await store.createDefinition(APP_A, definition("invoice_paid", at(1), "Invoice Paid"));

    expect((await store.findDefinitionByName(APP_A, "Invoice Paid"))?.slug).toBe("invoice_paid");
    expect(await store.findDefinitionByName(APP_A, "invoice_paid ")).toBeNull();
    expect(await store.findDefinitionByName(APP_A, "Wrong_Event")).toBeNull();
  });

  it("replaces a definition that exists and answers false for a missing one", async () => {
    const store = await table.freshStore();
    await store.createDefinition(APP_A, definition("contact_created"));
    const changed = { ...definition("contact_created"), description: "changed", updated_at: at(9) };

    expect(await store.replaceDefinition(APP_A, changed)).toBe(true);
    expect(await store.getDefinition(APP_A, "contact_created")).toEqual(changed);
    expect(await store.replaceDefinition(APP_A, definition("missing"))).toBe(false);
    expect(await store.getDefinition(APP_A, "missing")).toBeNull();
  });

  it("deletes a definition, answers false for a missing one, and frees the slug", async () => {
    const store = await table.freshStore();
    await store.createDefinition(APP_A, definition("contact_created"));

    expect(await store.deleteDefinition(APP_A, "contact_created")).toBe(true);
    expect(await store.deleteDefinition(APP_A, "contact_created")).toBe(false);
    expect(await store.getDefinition(APP_A, "contact_created")).toBeNull();
    expect(await store.createDefinition(APP_A, definition("contact_created"))).toBe(true);
  });
});

describe("DynamoDB store: subscriptions", () => {
  it("lists subscriptions newest first, page after page, with no overlap and no gap", async () => {
    const store = await table.freshStore();
    const created: Subscription[] = [];
    for (let i = 0; i < 7; i++) {
      const sub = subscription();
      created.push(sub);
      await store.createSubscription(APP_A, sub);
    }

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.listSubscriptions(APP_A, { limit: 3, cursor });
      seen.push(...page.data.map((s) => s.id));
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor);

    expect(pages).toBe(3);
    expect(seen).toEqual(created.map((s) => s.id).reverse());
  });

  it("never shows app A's subscriptions to app B", async () => {
    const store = await table.freshStore();
    const sub = subscription();
    await store.createSubscription(APP_A, sub);

    expect(await store.getSubscription(APP_B, sub.id)).toBeNull();
    expect((await store.listSubscriptions(APP_B, { limit: 50 })).data).toEqual([]);
    expect(await store.allSubscriptions(APP_B)).toEqual([]);
    expect(await store.replaceSubscription(APP_B, sub)).toBe(false);
    expect(await store.deleteSubscription(APP_B, sub.id)).toBe(false);
    expect(await store.getSubscription(APP_A, sub.id)).toEqual({ ...sub, version: 1 });
  });

  it("refuses a cursor of app A's subscriptions on app B's with a 400", async () => {
    const store = await table.freshStore();
    for (let i = 0; i < 3; i++) await store.createSubscription(APP_A, subscription());
    const pageOfA = await store.listSubscriptions(APP_A, { limit: 1 });

    await badRequest(
      store.listSubscriptions(APP_B, { limit: 1, cursor: pageOfA.next_cursor ?? undefined }),
    );
  });

  it("replaces and deletes a subscription, answering false when it is missing", async () => {
    const store = await table.freshStore();
    const sub = subscription();
    await store.createSubscription(APP_A, sub);

    expect(await store.replaceSubscription(APP_A, { ...sub, version: 1, enabled: false })).toBe(
      true,
    );
    expect((await store.getSubscription(APP_A, sub.id))?.enabled).toBe(false);
    expect(await store.replaceSubscription(APP_A, subscription())).toBe(false);
    expect(await store.deleteSubscription(APP_A, sub.id)).toBe(true);
    expect(await store.deleteSubscription(APP_A, sub.id)).toBe(false);
    expect(await store.allSubscriptions(APP_A)).toEqual([]);
  });

  it("writes a subscription back only at the version it was read at, raising it", async () => {
    const store = await table.freshStore();
    await store.createSubscription(APP_A, subscription());
    const [read] = await store.allSubscriptions(APP_A);
    if (!read) throw new Error("not stored");
    expect(read.version).toBe(1);

    expect(await store.replaceSubscription(APP_A, { ...read, name: "first" })).toBe(true);
    // A second change computed from the same read lost the race: refused, nothing written.
    expect(await store.replaceSubscription(APP_A, { ...read, name: "stale" })).toBe(false);
    expect(await store.getSubscription(APP_A, read.id)).toMatchObject({
      name: "first",
      version: 2,
    });
  });

  it("counts an item written before versions as version 0", async () => {
    const store = await table.freshStore();
    const sub = subscription(); // no version, as older items are
    await table.doc.send(
      new PutCommand({
        TableName: table.tableName(),
        Item: { PK: `APP#${APP_A}`, SK: `SUB#${sub.id}`, kind: "subscription", ...sub },
      }),
    );
    const read = await store.getSubscription(APP_A, sub.id);
    expect(read?.version).toBeUndefined();
    expect(await store.replaceSubscription(APP_A, { ...sub, version: 1 })).toBe(false);
    expect(await store.replaceSubscription(APP_A, { ...sub, name: "renamed" })).toBe(true);
    expect(await store.replaceSubscription(APP_A, { ...sub, name: "stale" })).toBe(false);
    expect(await store.getSubscription(APP_A, sub.id)).toMatchObject({
      name: "renamed",
      version: 1,
    });
  });
});

describe("DynamoDB store: idempotency keys", () => {
  it("answers the existing claim to a second claim of the same key", async () => {
    const store = await table.freshStore();
    const now = new Date();
    const first = idempotency("key-1", now);

    expect(await store.claimIdempotencyKey(APP_A, first, DAY)).toEqual({ claimed: true });
    expect(await store.claimIdempotencyKey(APP_A, idempotency("key-1", now), DAY)).toEqual({
      claimed: false,
      existing: first,
    });
  });

  it("keeps one app's key apart from another app's key of the same name", async () => {
    const store = await table.freshStore();
    const now = new Date();

    expect(await store.claimIdempotencyKey(APP_A, idempotency("k", now), DAY)).toEqual({
      claimed: true,
    });
    expect(await store.claimIdempotencyKey(APP_B, idempotency("k", now), DAY)).toEqual({
      claimed: true,
    });
  });

  it("lets a claim older than the window be taken over", async () => {
    const store = await table.freshStore();
    const now = Date.now();
    const stale = idempotency("key-1", new Date(now - 25 * HOUR));
    const fresh = idempotency("key-1", new Date(now));

    expect(await store.claimIdempotencyKey(APP_A, stale, DAY)).toEqual({ claimed: true });
    expect(await store.claimIdempotencyKey(APP_A, fresh, DAY)).toEqual({ claimed: true });

    const again = await store.claimIdempotencyKey(APP_A, idempotency("key-1", new Date(now)), DAY);
    expect(again).toEqual({ claimed: false, existing: fresh });
  });

  it("does not let a claim younger than the window be taken over", async () => {
    const store = await table.freshStore();
    const now = Date.now();
    const recent = idempotency("key-1", new Date(now - 23 * HOUR));

    await store.claimIdempotencyKey(APP_A, recent, DAY);
    await store.completeIdempotencyKey(APP_A, "key-1", recent.event_id);

    expect(
      await store.claimIdempotencyKey(APP_A, idempotency("key-1", new Date(now)), DAY),
    ).toEqual({ claimed: false, existing: { ...recent, state: "done" } });
  });

  it("marks a completed key done", async () => {
    const store = await table.freshStore();
    const now = new Date();
    const first = idempotency("key-1", now);
    await store.claimIdempotencyKey(APP_A, first, DAY);

    await store.completeIdempotencyKey(APP_A, "key-1", first.event_id);

    expect(await store.claimIdempotencyKey(APP_A, idempotency("key-1", now), DAY)).toEqual({
      claimed: false,
      existing: { ...first, state: "done" },
    });
  });

  it("lets a released key be claimed again", async () => {
    const store = await table.freshStore();
    const now = new Date();
    await store.claimIdempotencyKey(APP_A, idempotency("key-1", now), DAY);

    await store.releaseIdempotencyKey(APP_A, "key-1");

    const second = idempotency("key-1", now);
    expect(await store.claimIdempotencyKey(APP_A, second, DAY)).toEqual({ claimed: true });
    expect(await store.claimIdempotencyKey(APP_A, idempotency("key-1", now), DAY)).toEqual({
      claimed: false,
      existing: second,
    });
  });

  it("does not let completing a key nobody holds block later claims of it", async () => {
    // A complete that arrives after the claim was released (or never made) must not leave a
    // record behind that no claim can ever take over.
    const store = await table.freshStore();

    await store.completeIdempotencyKey(APP_A, "never-claimed", "evt_01JD0000000000000000000000");

    expect(
      await store.claimIdempotencyKey(APP_A, idempotency("never-claimed", new Date()), DAY),
    ).toEqual({ claimed: true });
  });
});

describe("DynamoDB store: taking over an idempotency claim", () => {
  it("does not let a claim whose lease ended be taken over by a second claim", async () => {
    // Only the trigger decides what a claim left by a request that is gone means (its event
    // may be on the bus): the store answers the claim, however old its lease.
    const store = await table.freshStore();
    const now = Date.now();
    const stale = idempotency("key-1", new Date(now - 61_000));
    await store.claimIdempotencyKey(APP_A, stale, DAY);

    expect(
      await store.claimIdempotencyKey(APP_A, idempotency("key-1", new Date(now)), DAY),
    ).toEqual({ claimed: false, existing: stale });
  });

  it("replaces a pending claim that is still the one expected", async () => {
    const store = await table.freshStore();
    const now = new Date();
    const first = idempotency("key-1", now);
    await store.claimIdempotencyKey(APP_A, first, DAY);
    const renewed = { ...first, lease_until: new Date(now.getTime() + 120_000).toISOString() };

    expect(await store.replaceIdempotencyClaim(APP_A, first, renewed, DAY)).toBe(true);

    expect(await store.claimIdempotencyKey(APP_A, idempotency("key-1", now), DAY)).toEqual({
      claimed: false,
      existing: renewed,
    });
  });

  it("lets only one of two retries take the same claim over", async () => {
    const store = await table.freshStore();
    const now = new Date();
    const first = idempotency("key-1", now);
    await store.claimIdempotencyKey(APP_A, first, DAY);
    const retryA = idempotency("key-1", now);
    const retryB = idempotency("key-1", now);

    const won = await Promise.all([
      store.replaceIdempotencyClaim(APP_A, first, retryA, DAY),
      store.replaceIdempotencyClaim(APP_A, first, retryB, DAY),
    ]);

    expect(won.filter(Boolean)).toHaveLength(1);
    const { existing } = (await store.claimIdempotencyKey(
      APP_A,
      idempotency("key-1", now),
      DAY,
    )) as { existing: IdempotencyRecord };
    expect(existing).toEqual(won[0] ? retryA : retryB);
  });

  it("does not replace a claim whose lease, event or state changed, nor a missing one", async () => {
    const store = await table.freshStore();
    const now = new Date();
    const first = idempotency("key-1", now);
    await store.claimIdempotencyKey(APP_A, first, DAY);
    const next = idempotency("key-1", now);

    const otherLease = { ...first, lease_until: new Date(0).toISOString() };
    expect(await store.replaceIdempotencyClaim(APP_A, otherLease, next, DAY)).toBe(false);
    const otherEvent = { ...first, event_id: newId("event") };
    expect(await store.replaceIdempotencyClaim(APP_A, otherEvent, next, DAY)).toBe(false);
    await store.completeIdempotencyKey(APP_A, "key-1", first.event_id);
    expect(await store.replaceIdempotencyClaim(APP_A, first, next, DAY)).toBe(false);
    const missing = idempotency("key-2", now);
    expect(await store.replaceIdempotencyClaim(APP_A, missing, next, DAY)).toBe(false);

    expect(await store.claimIdempotencyKey(APP_A, idempotency("key-1", now), DAY)).toEqual({
      claimed: false,
      existing: { ...first, state: "done" },
    });
    expect(await table.items("idempotency_key")).toHaveLength(1);
  });

  it("does not let a late complete by the request that died touch a claim taken over", async () => {
    const store = await table.freshStore();
    const now = new Date();
    const stale = idempotency("key-1", now);
    await store.claimIdempotencyKey(APP_A, stale, DAY);
    const retry = idempotency("key-1", now);
    await store.replaceIdempotencyClaim(APP_A, stale, retry, DAY);

    await store.completeIdempotencyKey(APP_A, "key-1", stale.event_id);

    expect(await store.claimIdempotencyKey(APP_A, idempotency("key-1", now), DAY)).toEqual({
      claimed: false,
      existing: retry,
    });
  });
});

describe("DynamoDB store: deliveries", () => {
  it("creates a delivery once and answers false for the same id again", async () => {
    const store = await table.freshStore();
    const eventId = newId("event");
    const first = delivery(APP_A, eventId, webhook("sub_1"));

    expect(await store.createDelivery(first)).toBe(true);
    expect(await store.createDelivery({ ...first, body: "{}" })).toBe(false);
    expect(await store.getDelivery(APP_A, first.id)).toEqual(first);
  });

  it("withdraws a pending delivery without an attempt, and leaves an attempted one and another app's", async () => {
    const store = await table.freshStore();
    const [untouched, attempted, ofAnother] = ["sub_1", "sub_2", "sub_3"].map((sub) =>
      delivery(APP_A, newId("event"), webhook(sub)),
    );
    if (!untouched || !attempted || !ofAnother) throw new Error("three deliveries");
    for (const d of [untouched, attempted, ofAnother]) await store.createDelivery(d);
    await store.recordAttempt(APP_A, attempted.id, {
      attempt: attempt(1),
      status: "failed",
      expectedAttemptCount: 0,
      messageId: "m-1",
    });

    await store.withdrawDelivery(APP_A, untouched.id);
    await store.withdrawDelivery(APP_A, attempted.id);
    await store.withdrawDelivery(APP_B, ofAnother.id);
    await store.withdrawDelivery(APP_A, "msg_missing");

    expect(await store.getDelivery(APP_A, untouched.id)).toBeNull();
    expect(await store.getDelivery(APP_A, attempted.id)).not.toBeNull();
    expect(await store.getDelivery(APP_A, ofAnother.id)).not.toBeNull();
  });

  it("reads many deliveries together, each with its body, and leaves out the missing ones", async () => {
    const store = await table.freshStore();
    const deliveries = Array.from({ length: 60 }, (_, n) =>
      delivery(n % 2 ? APP_A : APP_B, newId("event"), webhook(`sub_${n}`)),
    );
    for (const d of deliveries)
      await store.createDelivery({ ...d, body: `{"n":${deliveries.indexOf(d)}}` });
    const keys = [
      ...deliveries.map((d) => ({ appId: d.app_id, id: d.id })),
      { appId: APP_A, id: "msg_missing" },
    ];

    const found = await store.getDeliveries(keys); // 121 keys: more than one BatchGetItem takes

    expect(found.size).toBe(60);
    for (const [n, d] of deliveries.entries()) {
      expect(found.get(d.id)).toEqual({ ...d, body: `{"n":${n}}` });
    }
    expect(found.has("msg_missing")).toBe(false);
  });

  it("refuses an attempt recorded with a stale attempt count", async () => {
    const store = await table.freshStore();
    const d = delivery(APP_A, newId("event"), webhook("sub_1"));
    await store.createDelivery(d);

    expect(
      await store.recordAttempt(APP_A, d.id, {
        attempt: attempt(2),
        status: "failed",
        expectedAttemptCount: 1,
        messageId: "m-1",
      }),
    ).toBe(false);

    const unchanged = await store.getDelivery(APP_A, d.id);
    expect(unchanged?.attempt_count).toBe(0);
    expect(unchanged?.last_attempt).toBeNull();
    expect(await store.listAttempts(APP_A, d.id)).toEqual([]);
  });

  it("records an attempt with the expected count: listed, counted and kept as last_attempt", async () => {
    const store = await table.freshStore();
    const d = delivery(APP_A, newId("event"), webhook("sub_1"));
    await store.createDelivery(d);

    const first = attempt(1);
    expect(
      await store.recordAttempt(APP_A, d.id, {
        attempt: first,
        status: "failed",
        expectedAttemptCount: 0,
        messageId: "m-1",
      }),
    ).toBe(true);
    const second = attempt(2, 200);
    expect(
      await store.recordAttempt(APP_A, d.id, {
        attempt: second,
        status: "succeeded",
        expectedAttemptCount: 1,
        messageId: "m-1",
      }),
    ).toBe(true);

    const stored = await store.getDelivery(APP_A, d.id);
    expect(stored).toMatchObject({
      attempt_count: 2,
      status: "succeeded",
      last_attempt: second,
      updated_at: second.at,
    });
    expect(await store.listAttempts(APP_A, d.id)).toEqual([first, second]);
  });

  it("lets only one of two deliverers record the same attempt number", async () => {
    const store = await table.freshStore();
    const d = delivery(APP_A, newId("event"), webhook("sub_1"));
    await store.createDelivery(d);
    const update = {
      attempt: attempt(1),
      status: "failed" as const,
      expectedAttemptCount: 0,
      messageId: "m-1",
    };

    const results = await Promise.all([
      store.recordAttempt(APP_A, d.id, update),
      store.recordAttempt(APP_A, d.id, update),
    ]);

    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.listAttempts(APP_A, d.id)).toHaveLength(1);
  });

  it("refuses an attempt from another queue message once one message owns the delivery", async () => {
    const store = await table.freshStore();
    const d = delivery(APP_A, newId("event"), webhook("sub_1"));
    await store.createDelivery(d);
    const update = (messageId: string, expectedAttemptCount: number) => ({
      attempt: attempt(expectedAttemptCount + 1),
      status: "failed" as const,
      expectedAttemptCount,
      messageId,
    });

    expect(await store.recordAttempt(APP_A, d.id, update("m-1", 0))).toBe(true);
    expect(await store.recordAttempt(APP_A, d.id, update("m-2", 1))).toBe(false);
    expect(await store.recordAttempt(APP_A, d.id, update("m-1", 1))).toBe(true);
    expect((await store.getDelivery(APP_A, d.id))?.owner_message_id).toBe("m-1");
  });

  it("answers false when recording an attempt on a missing delivery", async () => {
    const store = await table.freshStore();

    expect(
      await store.recordAttempt(APP_A, "msg_missing", {
        attempt: attempt(1),
        status: "failed",
        expectedAttemptCount: 0,
        messageId: "m-1",
      }),
    ).toBe(false);
  });

  it("moves a dead-lettered delivery from the pending list to the dead_lettered list", async () => {
    const store = await table.freshStore();
    const d = delivery(APP_A, newId("event"), webhook("sub_1"));
    await store.createDelivery(d);
    const pendingBefore = await store.listDeliveries(APP_A, { status: "pending" }, { limit: 10 });
    expect(pendingBefore.data.map((x) => x.id)).toEqual([d.id]);

    await store.setDeliveryStatus(APP_A, d.id, "dead_lettered", at(600));

    const dead = await store.listDeliveries(APP_A, { status: "dead_lettered" }, { limit: 10 });
    expect(dead.data.map((x) => x.id)).toEqual([d.id]);
    expect(dead.data[0]).toMatchObject({ status: "dead_lettered", updated_at: at(600) });
    const pending = await store.listDeliveries(APP_A, { status: "pending" }, { limit: 10 });
    expect(pending.data).toEqual([]);
  });

  it("records the URL an attempt used and when the next one is due, and clears the due time with the next attempt", async () => {
    const store = await table.freshStore();
    const d = delivery(APP_A, newId("event"), webhook("sub_1"));
    await store.createDelivery(d);

    await store.recordAttempt(APP_A, d.id, {
      attempt: attempt(1),
      status: "failed",
      expectedAttemptCount: 0,
      messageId: "m-1",
      url: "https://example.com/moved",
      nextAttemptAt: at(90),
    });
    expect(await store.getDelivery(APP_A, d.id)).toMatchObject({
      url: "https://example.com/moved",
      next_attempt_at: at(90),
    });

    await store.recordAttempt(APP_A, d.id, {
      attempt: attempt(2, 200),
      status: "succeeded",
      expectedAttemptCount: 1,
      messageId: "m-1",
      nextAttemptAt: null,
    });
    const after = await store.getDelivery(APP_A, d.id);
    expect(after?.url).toBe("https://example.com/moved"); // kept when not given
    expect(after?.next_attempt_at).toBeUndefined();
  });

  it("keeps the reason a delivery ended with until its status changes again", async () => {
    const store = await table.freshStore();
    const d = delivery(APP_A, newId("event"), webhook("sub_1"));
    await store.createDelivery(d);
    await store.recordAttempt(APP_A, d.id, {
      attempt: attempt(1),
      status: "failed",
      expectedAttemptCount: 0,
      messageId: "m-1",
      nextAttemptAt: at(90),
    });

    await store.setDeliveryStatus(APP_A, d.id, "dead_lettered", at(100), "subscription_disabled");
    const dead = await store.getDelivery(APP_A, d.id);
    expect(dead).toMatchObject({ status: "dead_lettered", status_reason: "subscription_disabled" });
    expect(dead?.next_attempt_at).toBeUndefined(); // an ended delivery waits for nothing

    await store.setDeliveryStatus(APP_A, d.id, "pending", at(200));
    expect((await store.getDelivery(APP_A, d.id))?.status_reason).toBeUndefined();

    await store.setDeliveryStatus(APP_A, d.id, "dead_lettered", at(300), "retries_exhausted");
    await store.recordAttempt(APP_A, d.id, {
      attempt: attempt(2),
      status: "failed",
      expectedAttemptCount: 1,
      messageId: "m-1",
    });
    expect((await store.getDelivery(APP_A, d.id))?.status_reason).toBeUndefined();
  });

  it("lists discarded deliveries under their own status", async () => {
    const store = await table.freshStore();
    const kept = delivery(APP_A, newId("event"), webhook("sub_1"));
    const dropped = delivery(APP_A, newId("event"), webhook("sub_2"));
    for (const d of [kept, dropped]) await store.createDelivery(d);
    await store.setDeliveryStatus(APP_A, dropped.id, "discarded", at(5), "subscription_deleted");

    const discarded = await store.listDeliveries(APP_A, { status: "discarded" }, { limit: 10 });
    expect(discarded.data).toEqual([
      expect.objectContaining({
        id: dropped.id,
        status: "discarded",
        status_reason: "subscription_deleted",
      }),
    ]);
    const byTarget = await store.listDeliveries(
      APP_A,
      { status: "discarded", webhook_id: "sub_1" },
      { limit: 10 },
    );
    expect(byTarget.data).toEqual([]);
  });

  it("filters deliveries by webhook_id and by workflow_id", async () => {
    const store = await table.freshStore();
    const eventId = newId("event");
    const toSub1 = delivery(APP_A, eventId, webhook("sub_1"));
    const toSub2 = delivery(APP_A, eventId, webhook("sub_2"));
    const toWorkflow = delivery(APP_A, eventId, { type: "workflow", id: "wf_1" });
    for (const d of [toSub1, toSub2, toWorkflow]) await store.createDelivery(d);

    const bySub1 = await store.listDeliveries(APP_A, { webhook_id: "sub_1" }, { limit: 10 });
    expect(bySub1.data.map((d) => d.id)).toEqual([toSub1.id]);
    const byWorkflow = await store.listDeliveries(APP_A, { workflow_id: "wf_1" }, { limit: 10 });
    expect(byWorkflow.data.map((d) => d.id)).toEqual([toWorkflow.id]);
  });

  it("filters deliveries by event_id: those whose id starts with the event's ULID", async () => {
    const store = await table.freshStore();
    const eventOne = newId("event");
    const eventTwo = newId("event");
    const ofOne = [
      delivery(APP_A, eventOne, webhook("sub_1")),
      delivery(APP_A, eventOne, webhook("sub_2")),
    ];
    const ofTwo = delivery(APP_A, eventTwo, webhook("sub_1"));
    for (const d of [...ofOne, ofTwo]) await store.createDelivery(d);
    for (const d of ofOne) expect(d.id.startsWith(`msg_${eventOne.slice(4)}`)).toBe(true);

    const page = await store.listDeliveries(APP_A, { event_id: eventOne }, { limit: 10 });

    expect(page.data.map((d) => d.id).sort()).toEqual(ofOne.map((d) => d.id).sort());
    const byEventAndHook = await store.listDeliveries(
      APP_A,
      { event_id: eventOne, webhook_id: "sub_2" },
      { limit: 10 },
    );
    expect(byEventAndHook.data.map((d) => d.id)).toEqual([ofOne[1]?.id]);
  });

  it("filters by status and webhook_id together", async () => {
    const store = await table.freshStore();
    const hookOnePending = delivery(APP_A, newId("event"), webhook("sub_1"));
    const hookOneDead = delivery(APP_A, newId("event"), webhook("sub_1"));
    const hookTwoDead = delivery(APP_A, newId("event"), webhook("sub_2"));
    for (const d of [hookOnePending, hookOneDead, hookTwoDead]) await store.createDelivery(d);
    await store.setDeliveryStatus(APP_A, hookOneDead.id, "dead_lettered", at(1));
    await store.setDeliveryStatus(APP_A, hookTwoDead.id, "dead_lettered", at(1));

    const page = await store.listDeliveries(
      APP_A,
      { status: "dead_lettered", webhook_id: "sub_1" },
      { limit: 10 },
    );

    expect(page.data.map((d) => d.id)).toEqual([hookOneDead.id]);
  });

  it("pages a filtered delivery list newest first with no overlap and no gap", async () => {
    const store = await table.freshStore();
    const dead: string[] = [];
    for (let i = 0; i < 9; i++) {
      const d = delivery(APP_A, newId("event"), webhook("sub_1"));
      await store.createDelivery(d);
      if (i % 3 !== 0) {
        await store.setDeliveryStatus(APP_A, d.id, "dead_lettered", at(i));
        dead.push(d.id);
      }
    }

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listDeliveries(
        APP_A,
        { status: "dead_lettered", webhook_id: "sub_1" },
        { limit: 2, cursor },
      );
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((d) => d.id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);

    expect(seen).toEqual([...dead].reverse());
  });

  it("lists all of an app's deliveries newest first, without its attempts", async () => {
    const store = await table.freshStore();
    const older = delivery(APP_A, newId("event"), webhook("sub_1"));
    const newer = delivery(APP_A, newId("event"), webhook("sub_1"));
    await store.createDelivery(older);
    await store.createDelivery(newer);
    await store.recordAttempt(APP_A, older.id, {
      attempt: attempt(1),
      status: "failed",
      expectedAttemptCount: 0,
      messageId: "m-1",
    });

    const page = await store.listDeliveries(APP_A, {}, { limit: 10 });

    expect(page.data.map((d) => d.id)).toEqual([newer.id, older.id]);
  });

  it("never shows app A's deliveries or attempts to app B", async () => {
    const store = await table.freshStore();
    const eventId = newId("event");
    const d = delivery(APP_A, eventId, webhook("sub_1"));
    await store.createDelivery(d);
    await store.setDeliveryStatus(APP_A, d.id, "dead_lettered", at(1));

    expect(await store.getDelivery(APP_B, d.id)).toBeNull();
    expect(await store.listAttempts(APP_B, d.id)).toEqual([]);
    for (const filter of [
      {},
      { status: "dead_lettered" as const },
      { webhook_id: "sub_1" },
      { event_id: eventId },
    ]) {
      expect((await store.listDeliveries(APP_B, filter, { limit: 10 })).data).toEqual([]);
    }
    expect(
      await store.recordAttempt(APP_B, d.id, {
        attempt: attempt(1),
        status: "failed",
        expectedAttemptCount: 0,
        messageId: "m-1",
      }),
    ).toBe(false);
  });

  it("refuses a cursor of app A's deliveries on app B's with a 400, for every filter", async () => {
    const store = await table.freshStore();
    const eventIds = [newId("event"), newId("event"), newId("event")];
    for (const eventId of eventIds) {
      for (const hook of ["sub_1", "sub_2"]) {
        await store.createDelivery(delivery(APP_A, eventId, webhook(hook)));
      }
    }
    const filters = [
      {},
      { status: "pending" as const },
      { webhook_id: "sub_1" },
      { event_id: eventIds[0] },
    ];

    for (const filter of filters) {
      const pageOfA = await store.listDeliveries(APP_A, filter, { limit: 1 });
      expect(pageOfA.next_cursor).not.toBeNull();
      await badRequest(
        store.listDeliveries(APP_B, filter, { limit: 1, cursor: pageOfA.next_cursor ?? undefined }),
      );
    }
  });
});

describe("DynamoDB store: apps", () => {
  it("finds an app by the hash of its key, and answers null for an unknown hash", async () => {
    const store: Store = await table.freshStore();
    const app: App = { id: newId("app"), name: "Acme", created_at: at(0) };

    await store.createApp(app, "a".repeat(64));

    expect(await store.findAppByKeyHash("a".repeat(64))).toEqual(app);
    expect(await store.findAppByKeyHash("b".repeat(64))).toBeNull();
  });
});

describe("DynamoDB store: a delivery's kept send slot", () => {
  it("keeps a slot in place of the one read, so two copies of a message cannot both keep one", async () => {
    const store = await table.freshStore();
    const kept = delivery(APP_A, newId("event"), webhook(newId("subscription")));
    await store.createDelivery(kept);
    expect(await store.keepSendSlot(APP_A, kept.id, 1_000, undefined, 0)).toBe(true);
    // The other copy read the delivery without a slot: it has no say any more.
    expect(await store.keepSendSlot(APP_A, kept.id, 2_000, undefined, 0)).toBe(false);
    expect(await store.keepSendSlot(APP_A, kept.id, 3_000, 1_000, 0)).toBe(true);
    expect(await store.keepSendSlot(APP_A, kept.id, 4_000, 3_000, 1)).toBe(false); // attempted since
    expect(await store.keepSendSlot(APP_B, kept.id, 4_000, 3_000, 0)).toBe(false);
    expect((await store.getDelivery(APP_A, kept.id))?.rate_slot).toBe(3_000);
  });
});
