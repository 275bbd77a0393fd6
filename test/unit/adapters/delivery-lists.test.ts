import { DeleteCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliveryKey, shardOf } from "../../../functions/adapters/store/event-keys.ts";
import { SHARDS } from "../../../functions/adapters/store/table-definition.ts";
import { type DeliveryTarget, newId } from "../../../functions/core/ids.ts";
import type { Delivery } from "../../../functions/core/model.ts";
import type { Store } from "../../../functions/core/ports.ts";
import { startTestTable, type TestTable } from "../../support/dynamo.ts";
import { testDelivery } from "../../support/events.ts";

const APP = "app_01HZY00000000000000000000A";
const HOOK: DeliveryTarget = { type: "webhook", id: "sub_01HZY00000000000000000000H" };

let table: TestTable;
beforeAll(async () => {
  table = await startTestTable();
});
afterAll(async () => {
  await table?.close();
});

function delivery(eventId = newId("event"), target = HOOK): Delivery {
  return testDelivery(APP, eventId, target, { body: "{}" }, new Date().toISOString());
}

/** Every page of a list, as a client pages it, with the size of each page. */
async function pageThrough(
  store: Store,
  filter: Parameters<Store["listDeliveries"]>[1],
  limit: number,
) {
  const ids: string[] = [];
  const sizes: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listDeliveries(APP, filter, { limit, cursor });
    ids.push(...page.data.map((d) => d.id));
    sizes.push(page.data.length);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return { ids, sizes };
}

/** Counts the index entries and items each call reads, by wrapping the client's answers. */
function countReads() {
  const read = { entries: 0, items: 0 };
  const name = `count-reads-${Math.random()}`;
  table.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const output = result.output as {
        Items?: unknown[];
        Responses?: Record<string, unknown[]>;
      };
      if (context.commandName === "QueryCommand") read.entries += output.Items?.length ?? 0;
      if (context.commandName === "BatchGetItemCommand") {
        for (const items of Object.values(output.Responses ?? {})) read.items += items.length;
      }
      return result;
    },
    { step: "initialize", name },
  );
  return { read, stop: () => table.doc.middlewareStack.remove(name) };
}

describe("sharded delivery lists", () => {
  it("spreads one subscription's deliveries evenly over every shard", () => {
    const counts = new Array<number>(SHARDS).fill(0);
    const average = 200;
    for (let n = 0; n < average * SHARDS; n++) {
      const shard = shardOf(delivery().id);
      counts[shard] = (counts[shard] ?? 0) + 1;
    }
    // A fair hash keeps every shard within a third of the average.
    expect(Math.min(...counts)).toBeGreaterThan((average * 2) / 3);
    expect(Math.max(...counts)).toBeLessThan((average * 4) / 3);
  });

  it("pages an app's deliveries newest first across shards, without gaps or repeats", async () => {
    const store = await table.freshStore();
    const created: string[] = [];
    // At least 90, and on until every shard holds some: ids are random, so 90 alone may
    // leave a shard empty.
    const shards = new Set<number>();
    while (created.length < 90 || shards.size < SHARDS) {
      const d = delivery();
      await store.createDelivery(d);
      created.push(d.id);
      shards.add(shardOf(d.id));
    }

    for (const limit of [1, 7, 50]) {
      const { ids, sizes } = await pageThrough(store, {}, limit);
      expect(ids).toEqual([...created].reverse());
      expect(Math.max(...sizes)).toBeLessThanOrEqual(limit);
    }
    const byTarget = await pageThrough(store, { webhook_id: HOOK.id }, 7);
    expect(byTarget.ids).toEqual([...created].reverse());
  });

  it("answers short pages with a cursor while a filter leaves them short, and still pages to the end", async () => {
    const store = await table.freshStore();
    const pending: string[] = [];
    for (let n = 0; n < 120; n++) {
      const d = delivery();
      await store.createDelivery(d);
      // Only three, the oldest, are still pending: the list reads past many others.
      if (n < 3) pending.push(d.id);
      else await store.setDeliveryStatus(APP, d.id, "succeeded", d.created_at);
    }

    const { ids, sizes } = await pageThrough(store, { status: "pending" }, 2);

    expect(ids).toEqual([...pending].reverse());
    expect(sizes.some((size) => size < 2)).toBe(true);
    expect(sizes.length).toBeGreaterThan(2);
  });

  it("reads a bounded amount in one call, however little of it matches", async () => {
    const store = await table.freshStore();
    for (let n = 0; n < 200; n++) {
      const d = delivery();
      await store.createDelivery(d);
      await store.setDeliveryStatus(APP, d.id, "succeeded", d.created_at);
    }
    const counter = countReads();

    const page = await store.listDeliveries(APP, { status: "pending" }, { limit: 10 });

    counter.stop();
    expect(page.data).toEqual([]);
    expect(page.next_cursor).not.toBeNull();
    // Three pages' worth of entries across the shards (at least four a shard), and only the
    // items among them: never the 200.
    expect(counter.read.entries).toBeLessThanOrEqual(SHARDS * 4);
    expect(counter.read.items).toBeLessThanOrEqual(counter.read.entries);
  });

  it("lists an event's deliveries from the event's own partition, newest first", async () => {
    const store = await table.freshStore();
    const eventId = newId("event");
    const targets = Array.from(
      { length: 5 },
      (_, n): DeliveryTarget => ({
        type: "webhook",
        id: `sub_01HZY0000000000000000000${String(n).padStart(2, "0")}`,
      }),
    );
    const ids = [];
    for (const target of targets) {
      const d = delivery(eventId, target);
      await store.createDelivery(d);
      ids.push(d.id);
    }
    await store.createDelivery(delivery());

    const { ids: listed } = await pageThrough(store, { event_id: eventId }, 2);

    expect(listed).toEqual([...ids].sort().reverse());
  });
});

describe("retention", () => {
  it("keeps events and deliveries for the retention period, then treats them as gone everywhere", async () => {
    let now = Date.parse("2026-05-01T00:00:00.000Z");
    const store = await table.freshStore({ now: () => now, retentionDays: 2 });
    const eventId = newId("event", now);
    await store.putEvent({
      v: 1,
      app_id: APP,
      event_id: eventId,
      type: "contact_created",
      platform: false,
      linked_account_id: "acme",
      timestamp: new Date(now).toISOString(),
      payload: {},
    });
    const d = delivery(eventId);
    await store.createDelivery(d);
    await store.recordAttempt(APP, d.id, {
      attempt: {
        attempt: 1,
        at: d.created_at,
        status_code: 500,
        duration_ms: 3,
        response_body: "no",
        error: "HTTP 500",
      },
      status: "failed",
      expectedAttemptCount: 0,
      messageId: "m-1",
    });
    await store.setDeliveryStatus(APP, d.id, "dead_lettered", d.created_at, "retries_exhausted");
    const expiry = Math.ceil((now + 2 * 86_400_000) / 1000);
    for (const item of await table.items()) {
      if (item.kind === "event" || item.kind === "delivery") expect(item.expires_at).toBe(expiry);
    }
    const filters = [
      {},
      { status: "dead_lettered" as const },
      { webhook_id: HOOK.id },
      { event_id: eventId },
    ];
    const visible = async () => ({
      event: await store.getEvent(APP, eventId),
      delivery: await store.getDelivery(APP, d.id),
      detail: await store.getDeliveryDetail(APP, d.id),
      batch: (await store.getDeliveries([{ appId: APP, id: d.id }])).size,
      attempts: (await store.listAttempts(APP, d.id)).length,
      lists: await Promise.all(
        filters.map(
          async (filter) => (await store.listDeliveries(APP, filter, { limit: 10 })).data.length,
        ),
      ),
    });

    now += 2 * 86_400_000 - 1_000;
    const kept = await visible();
    expect(kept.event?.event_id).toBe(eventId);
    expect(kept.delivery?.id).toBe(d.id);
    expect(kept.detail?.attempts).toHaveLength(1);
    expect(kept).toMatchObject({ batch: 1, attempts: 1, lists: [1, 1, 1, 1] });

    now += 1_000;
    expect(await visible()).toEqual({
      event: null,
      delivery: null,
      detail: null,
      batch: 0,
      attempts: 0,
      lists: [0, 0, 0, 0],
    });
  });
});

describe("sharded delivery lists: what a read leaves out", () => {
  it("ends a page before a delivery DynamoDB left unread, and the cursor comes back to it", async () => {
    const store = await table.freshStore();
    const created: string[] = [];
    for (let n = 0; n < 20; n++) {
      const d = delivery();
      await store.createDelivery(d);
      created.push(d.id);
    }
    const newestFirst = [...created].reverse();
    const stuck = newestFirst[5] ?? "";
    // Every BatchGetItem leaves that one delivery unprocessed, as throttling would.
    const name = "leave-one-unprocessed";
    table.doc.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName !== "BatchGetItemCommand") return result;
        const output = result.output as {
          Responses?: Record<string, Record<string, unknown>[]>;
          UnprocessedKeys?: Record<string, { Keys: unknown[] }>;
        };
        for (const [tableName, items] of Object.entries(output.Responses ?? {})) {
          const index = items.findIndex((item) => item.id === stuck);
          if (index < 0) continue;
          items.splice(index, 1);
          output.UnprocessedKeys = { [tableName]: { Keys: [deliveryKey(stuck)] } };
        }
        return result;
      },
      { step: "initialize", name },
    );
    let first: Awaited<ReturnType<Store["listDeliveries"]>>;
    try {
      first = await store.listDeliveries(APP, {}, { limit: 10 });
    } finally {
      table.doc.middlewareStack.remove(name);
    }

    // The page ends before the unread one (sooner if a shard's read ended first), with a cursor.
    const shown = first.data.map((d) => d.id);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThanOrEqual(5);
    expect(shown).toEqual(newestFirst.slice(0, shown.length));
    expect(first.next_cursor).not.toBeNull();
    // Paging on from the cursor shows every other delivery, the unread one included, once.
    const rest: string[] = [];
    let cursor = first.next_cursor ?? undefined;
    while (cursor !== undefined) {
      const page = await store.listDeliveries(APP, {}, { limit: 50, cursor });
      rest.push(...page.data.map((d) => d.id));
      cursor = page.next_cursor ?? undefined;
    }
    expect(rest).toEqual(newestFirst.slice(shown.length));
  });

  it("refuses a cursor on a list with another filter, as it would another app's", async () => {
    const store = await table.freshStore();
    for (let n = 0; n < 3; n++) await store.createDelivery(delivery());
    const pending = await store.listDeliveries(APP, { status: "pending" }, { limit: 1 });
    const cursor = pending.next_cursor ?? undefined;
    expect(cursor).toBeDefined();

    for (const filter of [{}, { status: "succeeded" as const }, { webhook_id: HOOK.id }]) {
      await expect(store.listDeliveries(APP, filter, { limit: 1, cursor })).rejects.toThrow(
        "cursor is not one this list returned",
      );
    }
    expect(
      (await store.listDeliveries(APP, { status: "pending" }, { limit: 1, cursor })).data,
    ).toHaveLength(1);
  });
});

describe("a delivery's attempts", () => {
  const attempt = (n: number, responseBody: string | null = "x".repeat(1024)) => ({
    attempt: n,
    at: new Date(Date.UTC(2026, 4, 1, 0, n)).toISOString(),
    status_code: 500,
    duration_ms: 5,
    response_body: responseBody,
    error: "HTTP 500",
  });

  it("keeps every attempt of a long-failing delivery with a large body, beyond what one item holds", async () => {
    const store = await table.freshStore();
    const d = { ...delivery(), body: JSON.stringify({ big: "y".repeat(250 * 1024) }) };
    await store.createDelivery(d);
    // 150 attempts of 1 KiB answers would take the item past 400 KB, were they all kept in it.
    for (let n = 1; n <= 150; n++) {
      const recorded = await store.recordAttempt(APP, d.id, {
        attempt: attempt(n),
        status: "failed",
        expectedAttemptCount: n - 1,
        messageId: "m-1",
      });
      expect(recorded).toBe(true);
    }

    const detail = await store.getDeliveryDetail(APP, d.id);
    expect(detail?.attempts.map((a) => a.attempt)).toEqual(
      Array.from({ length: 150 }, (_, index) => index + 1),
    );
    expect(detail?.delivery).toMatchObject({ attempt_count: 150, last_attempt: attempt(150) });
    expect((await store.listDeliveries(APP, {}, { limit: 1 })).data[0]?.last_attempt).toEqual(
      attempt(150),
    );
  });

  it("shows an attempt recorded on the delivery whose own item was never written (a crash between the two)", async () => {
    const store = await table.freshStore();
    const d = delivery();
    await store.createDelivery(d);
    for (let n = 1; n <= 6; n++) {
      await store.recordAttempt(APP, d.id, {
        attempt: attempt(n, "no"),
        status: "failed",
        expectedAttemptCount: n - 1,
        messageId: "m-1",
      });
    }
    const [sixth] = (await table.items("attempt")).filter((item) => item.attempt === 6);
    await table.doc.send(
      new DeleteCommand({ TableName: table.tableName(), Key: { PK: sixth?.PK, SK: sixth?.SK } }),
    );

    expect((await store.listAttempts(APP, d.id)).map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await table.items("attempt")).toHaveLength(1); // the 5th: the first four are in the item
  });
});
