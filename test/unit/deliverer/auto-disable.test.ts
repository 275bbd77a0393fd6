import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { describe, expect, it } from "vitest";
import type { Delivery, Subscription } from "../../../functions/core/model.ts";
import { webhookDelivery } from "../../../functions/core/routing.ts";
import { appEvent } from "../../support/events.ts";
import {
  mainLaneTurn,
  SUBSCRIPTION,
  slowLaneTurn,
  useOneSubscription,
} from "../../support/one-subscription.ts";

const sub = useOneSubscription();
const HOUR = 3600;

const subscription = () => sub.store.getSubscription(sub.appId, SUBSCRIPTION);
const notices = () =>
  sub.pipeline.messaging.publishedEvents().filter((event) => event.type === "webhook.disabled");
const stored = (delivery: Delivery) => sub.store.getDelivery(sub.appId, delivery.id);

describe("a receiver that answers 410 Gone (SPEC §3.1)", () => {
  it("disables its subscription at once and tells subscribers; the delivery waits in the DLQ", async () => {
    const delivery = await sub.newDelivery();
    sub.answer = { status: 410 };

    const outcome = await mainLaneTurn(sub.deliverer(), delivery);

    expect(outcome).toMatchObject({
      kind: "dead_lettered",
      reason: "subscription_disabled",
      attempt: { attempt: 1, status_code: 410 },
      disabled: { subscription_id: SUBSCRIPTION, reason: "gone" },
    });
    expect(await subscription()).toMatchObject({
      enabled: false,
      disabled_reason: "gone",
      disabled_by: delivery.id,
    });
    expect(await stored(delivery)).toMatchObject({
      status: "dead_lettered",
      status_reason: "subscription_disabled",
      attempt_count: 1,
    });
    const [notice] = notices();
    expect(notices()).toHaveLength(1);
    expect(notice).toMatchObject({
      platform: true,
      payload: {
        id: SUBSCRIPTION,
        enabled: false,
        disabled_reason: "gone",
        failing_since: null,
      },
    });
    const payload = notice?.payload as Record<string, unknown>;
    expect(Object.keys(payload)).not.toContain("secrets");
    expect(Object.keys(payload)).not.toContain("disabled_by");
  });

  it("dead-letters what is still queued for it at its turn, without a request or a second notice", async () => {
    const first = await sub.newDelivery();
    const second = await sub.newDelivery();
    sub.answer = { status: 410 };
    await mainLaneTurn(sub.deliverer(), first);

    const outcome = await mainLaneTurn(sub.deliverer(), second);

    expect(outcome).toMatchObject({ kind: "dead_lettered", reason: "subscription_disabled" });
    expect(sub.sent).toHaveLength(1);
    expect(notices()).toHaveLength(1);
  });

  it("still tells subscribers when the turn that disabled it stopped before telling", async () => {
    const delivery = await sub.newDelivery();
    sub.answer = { status: 410 };
    sub.pipeline.messaging.eventBridge.on(PutEventsCommand).rejectsOnce(new Error("bus down"));
    await expect(mainLaneTurn(sub.deliverer(), delivery)).rejects.toThrow("bus down");
    expect((await subscription())?.enabled).toBe(false);
    const [tried] = notices(); // the publish the bus refused
    sub.pipeline.messaging.resetBus();
    sub.advance(60); // its message is back once its backoff is over

    const outcome = await mainLaneTurn(sub.deliverer(), delivery);

    expect(outcome).toMatchObject({ kind: "dead_lettered", reason: "subscription_disabled" });
    expect(sub.sent).toHaveLength(1);
    // The same notice, under the same id: had the first reached the bus, it is delivered once.
    expect(notices()).toEqual([tried]);
  });

  it("tells under the same id after a write of the subscription between the two turns", async () => {
    const delivery = await sub.newDelivery();
    sub.answer = { status: 410 };
    sub.pipeline.messaging.eventBridge.on(PutEventsCommand).rejectsOnce(new Error("bus down"));
    await expect(mainLaneTurn(sub.deliverer(), delivery)).rejects.toThrow("bus down");
    const [tried] = notices();
    sub.pipeline.messaging.resetBus();
    sub.advance(30);
    const current = await subscription();
    await sub.store.replaceSubscription(sub.appId, {
      ...(current as Subscription),
      name: "renamed",
      updated_at: sub.clock.now().toISOString(),
    });
    sub.advance(30);

    await mainLaneTurn(sub.deliverer(), delivery);

    expect(notices().map((notice) => [notice.event_id, notice.timestamp])).toEqual([
      [tried?.event_id, tried?.timestamp],
    ]);
  });

  it("finishes a 410 recorded by a turn that stopped before disabling, without another request", async () => {
    const delivery = await sub.newDelivery();
    await sub.store.recordAttempt(sub.appId, delivery.id, {
      attempt: {
        attempt: 1,
        at: sub.clock.now().toISOString(),
        status_code: 410,
        duration_ms: 3,
        response_body: "",
        error: "HTTP 410",
      },
      status: "failed",
      expectedAttemptCount: 0,
      messageId: `m-${delivery.id}`,
      nextAttemptAt: sub.clock.now().toISOString(),
    });

    const outcome = await mainLaneTurn(sub.deliverer(), delivery);

    expect(outcome).toMatchObject({
      kind: "dead_lettered",
      reason: "subscription_disabled",
      disabled: { reason: "gone" },
    });
    expect(sub.sent).toEqual([]);
    expect(notices()).toHaveLength(1);
  });

  it("never disables again one enabled since, however stale a deliverer's cache", async () => {
    const delivery = await sub.newDelivery();
    sub.answer = { status: 410 };
    await mainLaneTurn(sub.deliverer(), delivery);
    const disabled = (await subscription()) as Subscription;
    await sub.store.replaceSubscription(sub.appId, {
      ...disabled,
      enabled: true,
      disabled_reason: null,
      disabled_by: null,
      disabled_at: null,
    });
    // A container that still holds the disabled subscription, as read before the PATCH.
    const stale = sub.deliverer(() => 0, { subscriptions: async () => disabled });
    await sub.store.reopenDelivery(
      sub.appId,
      delivery.id,
      { status: "dead_lettered", attemptCount: 1 },
      `m-${delivery.id}`, // redriven: the message the turn below carries owns it
      sub.clock.now().toISOString(),
    );

    expect(await mainLaneTurn(stale, delivery)).toMatchObject({
      kind: "dead_lettered",
      reason: "subscription_disabled", // what that container believes, for up to 5 s
    });

    expect((await subscription())?.enabled).toBe(true);
    expect(notices()).toHaveLength(1);
  });

  it("disables, without telling, from a delivery of a platform event", async () => {
    const subscribed = await subscription();
    if (!subscribed) throw new Error("no subscription");
    const event = appEvent(sub.appId, { type: "delivery.dead_lettered", platform: true });
    const delivery = webhookDelivery(subscribed, event, {}, sub.clock.now());
    await sub.store.createDelivery(delivery);
    sub.answer = { status: 410 };

    await mainLaneTurn(sub.deliverer(), delivery);

    expect((await subscription())?.disabled_reason).toBe("gone");
    expect(notices()).toEqual([]);
  });
});

describe("a subscription failing for too long (SPEC §3.1)", () => {
  /** Fails the delivery's first attempt and its three retries, an hour apart. */
  async function failAllRetries(delivery: Delivery, deps: ReturnType<typeof sub.deliverer>) {
    sub.answer = "fail";
    await mainLaneTurn(deps, delivery);
    let outcome = await slowLaneTurn(deps, delivery);
    for (let turn = 0; turn < 3 && outcome.kind !== "dead_lettered"; turn++) {
      sub.advance(HOUR);
      outcome = await slowLaneTurn(deps, delivery);
    }
    return outcome;
  }

  it("dates its failures in a row from the first, and a success clears it", async () => {
    const deps = sub.deliverer(() => 0, { disableAfterHours: 120 });
    sub.answer = "fail";
    await mainLaneTurn(deps, await sub.newDelivery());
    const since = sub.clock.now().toISOString();
    sub.advance(60);
    await slowLaneTurn(deps, await sub.newDelivery());
    expect(await sub.health()).toMatchObject({ failures: 2, failing_since: since });
    sub.answer = "ok";
    sub.advance(60);
    await slowLaneTurn(deps, await sub.newDelivery());
    expect((await sub.health()).failing_since).toBeNull();
  });

  it("is disabled at its next dead letter once the failures are older than disableAfterHours", async () => {
    const deps = sub.deliverer(() => 0, { disableAfterHours: 2 });
    const since = sub.clock.now().toISOString();
    const outcome = await failAllRetries(await sub.newDelivery(), deps);

    expect(outcome).toMatchObject({
      kind: "dead_lettered",
      reason: "retries_exhausted",
      disabled: { subscription_id: SUBSCRIPTION, reason: "failing" },
    });
    expect(await subscription()).toMatchObject({
      enabled: false,
      disabled_reason: "failing",
      failing_since: since,
    });
    expect(notices()).toEqual([
      expect.objectContaining({
        payload: expect.objectContaining({ disabled_reason: "failing", failing_since: since }),
      }),
    ]);
  });

  it("is disabled at a dead letter of a delivery held past its limit while paused", async () => {
    const deps = sub.deliverer(() => 0, { disableAfterHours: 2 });
    const delivery = await sub.newDelivery();
    const since = sub.clock.now().toISOString();
    await sub.store.recordFailure(sub.appId, SUBSCRIPTION, since);
    sub.advance(3 * HOUR); // past both the delivery's hold limit and the two hours
    await sub.store.pause(
      sub.appId,
      SUBSCRIPTION,
      new Date(sub.clock.now().getTime() + 60_000).toISOString(),
    );

    const outcome = await slowLaneTurn(deps, delivery);

    expect(outcome).toMatchObject({
      kind: "dead_lettered",
      reason: "subscription_paused",
      disabled: { reason: "failing" },
    });
    expect(await subscription()).toMatchObject({ enabled: false, failing_since: since });
  });

  it("is left enabled when its failures are younger than that, or the setting is 0", async () => {
    for (const disableAfterHours of [120, 0]) {
      const deps = sub.deliverer(() => 0, { disableAfterHours });
      const outcome = await failAllRetries(await sub.newDelivery(), deps);
      expect(outcome).toMatchObject({ kind: "dead_lettered", disabled: null });
    }
    expect((await subscription())?.enabled).toBe(true);
    expect(notices()).toEqual([]);
  });
});
