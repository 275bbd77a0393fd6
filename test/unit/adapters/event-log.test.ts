import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventKey } from "../../../functions/adapters/store/event-keys.ts";
import { SHARDS } from "../../../functions/adapters/store/table-definition.ts";
import { newId } from "../../../functions/core/ids.ts";
import type { Store, StoredEvent } from "../../../functions/core/ports.ts";
import { startTestTable, type TestTable } from "../../support/dynamo.ts";

const APP = "app_01HZY00000000000000000000A";
const OTHER = "app_01HZY00000000000000000000B";
const START = Date.UTC(2026, 10, 23, 9);
/** Ids are monotonic within a process: each test mints its events after the last test's. */
let base = START;
const later = () => {
  base += 86_400_000;
  return base;
};

let table: TestTable;

beforeAll(async () => {
  table = await startTestTable();
});

afterAll(async () => {
  await table?.close();
});

function event(appId: string, atMs: number): StoredEvent {
  return {
    v: 1,
    app_id: appId,
    event_id: newId("event", atMs),
    type: "contact_created",
    platform: false,
    linked_account_id: "acme",
    timestamp: new Date(atMs).toISOString(),
    payload: { first_name: "Ada" },
  };
}

/** Every event of a window, read as a replay reads them: `limit` a call, until no `next`. */
async function readAll(store: Store, window: { since?: Date; until?: Date }, limit: number) {
  const read: string[] = [];
  let after: string | undefined;
  let calls = 0;
  do {
    const page = await store.oldestEvents(APP, window, limit, after);
    read.push(...page.events.map((e) => e.event_id));
    after = page.next;
    calls++;
  } while (after !== undefined);
  return { read, calls };
}

describe("DynamoDB store: the event log", () => {
  it("spreads an app's events over the shards and reads them oldest first, without gaps or repeats", async () => {
    const store = await table.freshStore();
    const from = later();
    const events = Array.from({ length: 300 }, (_, n) => event(APP, from + n * 1000));
    for (const e of [...events].reverse()) await store.putEvent(e);
    await store.putEvent(event(OTHER, from + 500));

    // 300 random ids leave a shard empty about once in 500 runs; fewer than 28 of 32, never.
    const partitions = new Set(events.map((e) => eventKey(APP, e.event_id).PK));
    expect(partitions.size).toBeGreaterThanOrEqual(SHARDS - 4);
    const { read, calls } = await readAll(store, {}, 100);
    expect(read).toEqual(events.map((e) => e.event_id));
    expect(calls).toBeGreaterThanOrEqual(3);
  });

  it("reads a window, both ends inclusive to the millisecond", async () => {
    const store = await table.freshStore();
    const from = later();
    const events = Array.from({ length: 10 }, (_, n) => event(APP, from + n * 1000));
    for (const e of events) await store.putEvent(e);

    const { read } = await readAll(
      store,
      { since: new Date(from + 2000), until: new Date(from + 5000) },
      100,
    );
    expect(read).toEqual(events.slice(2, 6).map((e) => e.event_id));
  });

  it("passes over expired events and still goes on past them", async () => {
    let now = later();
    const store = await table.freshStore({ now: () => now, retentionDays: 1 });
    const old = [event(APP, now), event(APP, now + 1), event(APP, now + 2)];
    for (const e of old) await store.putEvent(e);
    now = later() + 86_400_000; // two days on: past their one day of retention
    const fresh = event(APP, now);
    await store.putEvent(fresh);

    // A call at a time: three of them find only expired events, and still go on.
    const { read, calls } = await readAll(store, {}, 1);
    expect(read).toEqual([fresh.event_id]);
    expect(calls).toBeGreaterThanOrEqual(4);
    expect(await store.getEvent(APP, old[0]?.event_id ?? "")).toBeNull();
  });

  it("finds an event only under its own app", async () => {
    const store = await table.freshStore();
    const mine = event(APP, later());
    await store.putEvent(mine);
    expect(await store.getEvent(APP, mine.event_id)).toEqual(mine);
    expect(await store.getEvent(OTHER, mine.event_id)).toBeNull();
    expect(await store.nextReplay(OTHER, mine.event_id)).toBeNull();
    expect(await store.nextReplay(APP, mine.event_id)).toBe(1);
  });
});
