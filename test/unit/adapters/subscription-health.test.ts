import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../../functions/core/ports.ts";
import { HEALTHY } from "../../../functions/core/subscription-health.ts";
import { startTestTable, type TestTable } from "../../support/dynamo.ts";

const APP = "app_01JD0000000000000000000000";
const SUB = "sub_01JD0000000000000000000001";
let table: TestTable;
let store: Store;

beforeAll(async () => {
  table = await startTestTable();
});
afterAll(() => table.close());
beforeEach(async () => {
  store = await table.freshStore();
});

describe("subscription health records", () => {
  it("answers HEALTHY for a subscription with no record", async () => {
    expect(await store.getHealth(APP, SUB)).toEqual(HEALTHY);
  });

  it("counts every failure of deliverers that fail at once", async () => {
    await Promise.all(
      Array.from({ length: 8 }, () => store.recordFailure(APP, SUB, "2026-11-23T02:00:00.000Z")),
    );
    expect(await store.getHealth(APP, SUB)).toMatchObject({ failures: 8, paused_until: null });
  });

  it("pauses once when two deliverers pause at once", async () => {
    const results = await Promise.all([
      store.pause(APP, SUB, "2026-11-23T02:00:30.000Z"),
      store.pause(APP, SUB, "2026-11-23T02:00:31.000Z"),
    ]);
    expect(results.sort()).toEqual([false, true]);
    expect(await store.getHealth(APP, SUB)).toMatchObject({ pauses: 1 });
  });

  it("gives the probe of a pause to one claimant, and to another once the lease runs out", async () => {
    await store.pause(APP, SUB, "2026-11-23T02:00:30.000Z");
    const claim = (lease: string, now: string) =>
      store.claimProbe(APP, SUB, "2026-11-23T02:00:30.000Z", lease, now);
    // Not before the pause is over.
    expect(await claim("2026-11-23T02:00:44.000Z", "2026-11-23T02:00:29.999Z")).toBe(false);
    const first = await Promise.all([
      claim("2026-11-23T02:00:45.000Z", "2026-11-23T02:00:30.000Z"),
      claim("2026-11-23T02:00:45.001Z", "2026-11-23T02:00:30.000Z"),
    ]);
    expect(first.sort()).toEqual([false, true]);
    expect(await claim("2026-11-23T02:01:00.000Z", "2026-11-23T02:00:44.999Z")).toBe(false);
    expect(await claim("2026-11-23T02:01:00.000Z", "2026-11-23T02:00:45.001Z")).toBe(true);
    // A claim for a pause that has since changed is refused.
    expect(
      await store.claimProbe(APP, SUB, "2026-11-23T01:00:00.000Z", "x", "2026-11-23T03:00:00.000Z"),
    ).toBe(false);
  });

  it("pauses again after a failed probe only for the probe holding the lease", async () => {
    await store.pause(APP, SUB, "2026-11-23T02:00:30.000Z");
    await store.claimProbe(
      APP,
      SUB,
      "2026-11-23T02:00:30.000Z",
      "2026-11-23T02:00:45.000Z",
      "2026-11-23T02:00:30.000Z",
    );
    await store.failProbe(
      APP,
      SUB,
      "2026-11-23T02:00:45.000Z",
      "2026-11-23T02:01:30.000Z",
      "2026-11-23T02:00:40.000Z",
    );
    expect(await store.getHealth(APP, SUB)).toMatchObject({
      failures: 1,
      pauses: 2,
      paused_until: "2026-11-23T02:01:30.000Z",
      probe_until: null,
    });
    // A probe whose lease was taken over still counts its failure, and pauses nothing.
    await store.failProbe(
      APP,
      SUB,
      "stale lease",
      "2026-11-23T09:00:00.000Z",
      "2026-11-23T02:02:00.000Z",
    );
    expect(await store.getHealth(APP, SUB)).toMatchObject({
      failures: 2,
      pauses: 2,
      paused_until: "2026-11-23T02:01:30.000Z",
    });
  });

  it("marks a subscription slow once while the mark lives, and again once it has lapsed", async () => {
    const mark = (until: string, now: string) => store.markSlow(APP, SUB, until, now);
    const now = "2026-11-23T02:00:00.000Z";
    const results = await Promise.all([
      mark("2026-11-23T02:01:00.000Z", now),
      mark("2026-11-23T02:01:00.001Z", now),
    ]);
    expect(results.sort()).toEqual([false, true]);
    expect(await mark("2026-11-23T02:02:00.000Z", "2026-11-23T02:00:59.999Z")).toBe(false);
    expect(await mark("2026-11-23T02:02:00.000Z", "2026-11-23T02:01:00.001Z")).toBe(true);
    expect(await store.getHealth(APP, SUB)).toEqual({
      ...HEALTHY,
      slow_until: "2026-11-23T02:02:00.000Z",
    });
  });

  it("marks only a subscription without failures or a pause, and lets a mark alone expire", async () => {
    const now = "2026-11-23T02:00:00.000Z";
    await store.markSlow(APP, SUB, "2026-11-23T02:01:00.000Z", now);
    const [marked] = await table.items("subscription_health");
    // TTL removes the record an hour after the mark ends: 02:01 + 1 h, in epoch seconds.
    expect(marked?.expires_at).toBe(Date.parse("2026-11-23T03:01:00.000Z") / 1000);
    await store.recordFailure(APP, SUB, "2026-11-23T02:00:00.000Z");
    const [failing] = await table.items("subscription_health");
    expect(failing?.expires_at).toBeUndefined();
    expect(
      await store.markSlow(APP, SUB, "2026-11-23T02:03:00.000Z", "2026-11-23T02:02:00.000Z"),
    ).toBe(false);
    await store.resume(APP, SUB);
    await store.pause(APP, SUB, "2026-11-23T02:00:30.000Z");
    expect(await store.markSlow(APP, SUB, "2026-11-23T02:01:00.000Z", now)).toBe(false);
  });

  it("keeps a slow mark through failures, and forgets it on resume", async () => {
    await store.markSlow(APP, SUB, "2026-11-23T02:01:00.000Z", "2026-11-23T02:00:00.000Z");
    expect(await store.recordFailure(APP, SUB, "2026-11-23T02:00:00.000Z")).toMatchObject({
      failures: 1,
      slow_until: "2026-11-23T02:01:00.000Z",
    });
    await store.resume(APP, SUB);
    expect(await store.getHealth(APP, SUB)).toEqual(HEALTHY);
  });

  it("forgets everything on resume", async () => {
    await store.recordFailure(APP, SUB, "2026-11-23T02:00:00.000Z");
    await store.pause(APP, SUB, "2026-11-23T02:00:30.000Z");
    await store.resume(APP, SUB);
    expect(await store.getHealth(APP, SUB)).toEqual(HEALTHY);
    expect(await table.items("subscription_health")).toEqual([]);
  });
});

describe("a rate limiter's send slots (SPEC §3.1)", () => {
  const NOW = Date.parse("2026-11-23T02:00:00.000Z");
  const INTERVAL = 220; // 5 a second

  it("gives an idle subscription a slot now, and each next one an interval after the last", async () => {
    expect(await store.takeSendSlot(APP, SUB, NOW, INTERVAL, true)).toBe(NOW);
    expect(await store.takeSendSlot(APP, SUB, NOW + 10, INTERVAL, false)).toBe(NOW + 220);
    expect(await store.takeSendSlot(APP, SUB, NOW + 20, INTERVAL, false)).toBe(NOW + 440);
    // Idle again once the slots given out are past: now, not after them.
    expect(await store.takeSendSlot(APP, SUB, NOW + 5_000, INTERVAL, false)).toBe(NOW + 5_000);
  });

  it("answers right whatever the caller guessed, at one more write when the guess was wrong", async () => {
    expect(await store.takeSendSlot(APP, SUB, NOW, INTERVAL, false)).toBe(NOW);
    expect(await store.takeSendSlot(APP, SUB, NOW, INTERVAL, true)).toBe(NOW + 220);
  });

  it("gives deliverers that race for slots one each, an interval apart, none twice", async () => {
    const slots = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        store.takeSendSlot(APP, SUB, NOW, INTERVAL, n % 2 === 0),
      ),
    );
    expect([...slots].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, n) => NOW + n * INTERVAL),
    );
  });

  it("keeps slots still to come through a resume, and drops them with the subscription", async () => {
    const store = await table.freshStore({ now: () => NOW });
    await store.takeSendSlot(APP, SUB, NOW, INTERVAL, true);
    await store.takeSendSlot(APP, SUB, NOW, INTERVAL, false);
    await store.recordFailure(APP, SUB, "2026-11-23T02:00:00.000Z");
    await store.resume(APP, SUB);
    expect(await store.getHealth(APP, SUB)).toEqual({ ...HEALTHY, next_send_at: NOW + 440 });
    await store.dropHealth(APP, SUB);
    expect(await table.items("subscription_health")).toEqual([]);
  });

  it("outlives a slow mark's expiry, marked before or after slots far ahead", async () => {
    await store.markSlow(APP, SUB, "2026-11-23T02:01:00.000Z", "2026-11-23T02:00:00.000Z");
    await store.takeSendSlot(APP, SUB, NOW, INTERVAL, true);
    expect((await table.items("subscription_health"))[0]?.expires_at).toBeUndefined();

    const other = "sub_01JD0000000000000000000002";
    await store.takeSendSlot(APP, other, NOW + 3 * 3_600_000, INTERVAL, true); // 3 h ahead
    expect(
      await store.markSlow(APP, other, "2026-11-23T02:01:00.000Z", "2026-11-23T02:00:00.000Z"),
    ).toBe(true);
    const marked = (await table.items("subscription_health")).find((item) =>
      String(item.PK).endsWith(other),
    );
    expect(marked).toMatchObject({ slow_until: "2026-11-23T02:01:00.000Z" });
    expect(marked?.expires_at).toBeUndefined();
  });
});
