import { beforeEach, describe, expect, it } from "vitest";
import type { Delivery, Subscription } from "../../../functions/core/model.ts";
import { mainLaneTurn, SUBSCRIPTION, useOneSubscription } from "../../support/one-subscription.ts";

const sub = useOneSubscription();
let waits: number[];

/** A deliverer that records its in-process waits instead of sleeping them. */
const deliverer = () =>
  sub.deliverer(() => 0, {
    sleep: async (ms: number) => {
      waits.push(ms);
    },
  });

async function limitTo(perSecond: number | null) {
  const current = (await sub.store.getSubscription(sub.appId, SUBSCRIPTION)) as Subscription;
  await sub.store.replaceSubscription(sub.appId, { ...current, rate_limit: perSecond });
}

const stored = (delivery: Delivery) => sub.store.getDelivery(sub.appId, delivery.id);

beforeEach(() => {
  waits = [];
});

describe("a rate-limited subscription (SPEC §3.1)", () => {
  it("sends each delivery in its own slot, 1.1/n s apart, waiting for near ones in-process", async () => {
    await limitTo(5);
    const deps = deliverer();
    const deliveries = await Promise.all(Array.from({ length: 10 }, () => sub.newDelivery()));

    for (const delivery of deliveries) {
      expect(await mainLaneTurn(deps, delivery)).toMatchObject({ kind: "succeeded" });
    }

    // Slots 0, 220, …, 1980 ms from now: the clock stands still, so each waits its offset.
    expect(waits).toEqual(Array.from({ length: 9 }, (_, n) => (n + 1) * 220));
    expect(sub.sent).toHaveLength(10);
    expect(sub.sent.every((request) => request.headers["x-switchyard-attempt"] === "1")).toBe(true);
  });

  it("keeps a slot more than 2 s away on the delivery and hides its message until near it", async () => {
    await limitTo(5);
    const deps = deliverer();
    for (let n = 0; n < 10; n++) await mainLaneTurn(deps, await sub.newDelivery());
    const late = await sub.newDelivery();

    const outcome = await mainLaneTurn(deps, late);

    const slot = sub.clock.now().getTime() + 2_200;
    expect(outcome).toEqual({ kind: "held", reason: "rate_limited", until: new Date(slot) });
    expect(sub.lastHide()).toBe(1);
    expect(await stored(late)).toMatchObject({
      attempt_count: 0,
      rate_slot: slot,
      status: "pending",
    });
    expect(sub.sent).toHaveLength(10);

    // Back a second later, before its slot: it waits the rest and goes, attempt 1, in its slot.
    sub.advance(1);
    waits = [];
    expect(await mainLaneTurn(deps, late)).toMatchObject({
      kind: "succeeded",
      attempt: { attempt: 1 },
    });
    expect(waits).toEqual([1_200]);
    expect((await sub.health()).next_send_at).toBe(slot + 220);
  });

  it("takes a new slot when its message is back after the one it kept", async () => {
    await limitTo(1);
    const deps = deliverer();
    await mainLaneTurn(deps, await sub.newDelivery());
    await mainLaneTurn(deps, await sub.newDelivery());
    const held = await sub.newDelivery();
    expect(await mainLaneTurn(deps, held)).toMatchObject({ kind: "held" }); // slot 2.2 s away
    const kept = (await stored(held))?.rate_slot ?? 0;

    sub.advance(10); // an invocation that started long after the slot
    waits = [];
    await mainLaneTurn(deps, held);

    expect(waits).toEqual([]); // the subscription was idle again: a slot now
    expect((await sub.health()).next_send_at).toBe(sub.clock.now().getTime() + 1_100);
    expect(sub.clock.now().getTime()).toBeGreaterThan(kept);
  });

  it("does not send on a slot it woke too late for: it takes the next, or waits in the queue", async () => {
    await limitTo(5);
    let lateBy = 100; // a busy machine: the timer fires 100 ms after the slot
    const deps = sub.deliverer(() => 0, {
      sleep: async (ms: number) => {
        waits.push(ms);
        sub.clock.set(new Date(sub.clock.now().getTime() + ms + lateBy).toISOString());
      },
    });
    await mainLaneTurn(deps, await sub.newDelivery()); // slot 0, sent at once
    const start = sub.clock.now().getTime();

    const missedAll = await mainLaneTurn(deps, await sub.newDelivery());

    // Woke 100 ms late for the slots 220, 440 and 660 ms on: lost, none sent on; it waits
    // a second in the queue.
    expect(missedAll).toMatchObject({ kind: "held", reason: "rate_limited" });
    expect(waits).toEqual([220, 120, 120]);
    expect(sub.sent).toHaveLength(1);
    expect(sub.lastHide()).toBe(1);

    lateBy = 0;
    waits = [];
    const onTime = await mainLaneTurn(deps, await sub.newDelivery());
    expect(onTime).toMatchObject({ kind: "succeeded", attempt: { attempt: 1 } });
    expect(waits).toEqual([120]);
    expect(sub.clock.now().getTime() - start).toBe(880); // the next slot, on time
  });

  it("costs an unlimited subscription nothing: no record, no wait", async () => {
    await limitTo(null);
    const deps = deliverer();
    for (let n = 0; n < 5; n++) await mainLaneTurn(deps, await sub.newDelivery());
    expect(waits).toEqual([]);
    expect(await sub.pipeline.table.items("subscription_health")).toEqual([]);
  });
});
