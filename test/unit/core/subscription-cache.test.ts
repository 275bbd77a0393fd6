import { describe, expect, it } from "vitest";
import type { Subscription } from "../../../functions/core/model.ts";
import { cachedSubscriptions } from "../../../functions/core/services/subscription-cache.ts";
import { testSubscription } from "../../support/events.ts";
import { fixedClock } from "../../support/harness.ts";

const APP = "app_01HZY00000000000000000000A";

/** A store that answers from `current` and counts its reads. */
function countingStore(current: Map<string, Subscription>) {
  const store = {
    reads: 0,
    fail: false,
    async getSubscription(_appId: string, id: string) {
      store.reads++;
      if (store.fail) throw new Error("dynamodb down");
      return current.get(id) ?? null;
    },
  };
  return store;
}

describe("cachedSubscriptions", () => {
  it("answers from the cache for 4 s, then reads the subscription as it is now", async () => {
    const subscription = testSubscription();
    const current = new Map([[subscription.id, subscription]]);
    const store = countingStore(current);
    const clock = fixedClock("2026-11-23T01:28:00.000Z");
    const lookup = cachedSubscriptions(store, clock);

    expect(await lookup(APP, subscription.id)).toEqual(subscription);
    current.set(subscription.id, { ...subscription, enabled: false });
    clock.set("2026-11-23T01:28:03.999Z");
    expect((await lookup(APP, subscription.id))?.enabled).toBe(true);
    expect(store.reads).toBe(1);

    clock.set("2026-11-23T01:28:04.000Z");
    expect((await lookup(APP, subscription.id))?.enabled).toBe(false);
    expect(store.reads).toBe(2);
  });

  it("remembers a missing subscription as long", async () => {
    const store = countingStore(new Map());
    const clock = fixedClock();
    const lookup = cachedSubscriptions(store, clock);
    expect(await lookup(APP, "sub_gone")).toBeNull();
    expect(await lookup(APP, "sub_gone")).toBeNull();
    expect(store.reads).toBe(1);
  });

  it("shares one read among lookups that ask at once, and keeps apps apart", async () => {
    const subscription = testSubscription();
    const store = countingStore(new Map([[subscription.id, subscription]]));
    const lookup = cachedSubscriptions(store, fixedClock());
    await Promise.all([lookup(APP, subscription.id), lookup(APP, subscription.id)]);
    expect(store.reads).toBe(1);
    await lookup("app_other", subscription.id);
    expect(store.reads).toBe(2);
  });

  it("does not remember a failed read", async () => {
    const subscription = testSubscription();
    const store = countingStore(new Map([[subscription.id, subscription]]));
    const lookup = cachedSubscriptions(store, fixedClock());
    store.fail = true;
    await expect(lookup(APP, subscription.id)).rejects.toThrow("dynamodb down");
    store.fail = false;
    expect(await lookup(APP, subscription.id)).toEqual(subscription);
    expect(store.reads).toBe(2);
  });

  it("stays bounded: beyond 1,000 subscriptions the oldest is read again", async () => {
    const store = countingStore(new Map());
    const lookup = cachedSubscriptions(store, fixedClock());
    for (let index = 0; index <= 1_000; index++) await lookup(APP, `sub_${index}`);
    expect(store.reads).toBe(1_001);
    await lookup(APP, "sub_1000"); // the newest is kept
    expect(store.reads).toBe(1_001);
    await lookup(APP, "sub_0"); // the oldest made room
    expect(store.reads).toBe(1_002);
  });
});
