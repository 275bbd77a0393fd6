import { ChangeMessageVisibilityCommand } from "@aws-sdk/client-sqs";
import { beforeEach } from "vitest";
import type { Delivery, DeliveryMessage, SubscriptionHealth } from "../../functions/core/model.ts";
import type { OutboundRequest, SendResult, Store } from "../../functions/core/ports.ts";
import { webhookDelivery } from "../../functions/core/routing.ts";
import { type DeliverDeps, deliver } from "../../functions/core/services/deliver.ts";
import { cachedHealth } from "../../functions/core/services/subscription-cache.ts";
import { appEvent, TEST_SECRET, testSubscription } from "./events.ts";
import { fixedClock, newApp, type Pipeline, testVault, usePipeline } from "./harness.ts";

export const SUBSCRIPTION = "sub_01JD0000000000000000000001";
export const RETRY = { maxRetries: 3, baseSeconds: 30 };

/**
 * What the receiver does with a request: answer 200, fail (as a timeout does), answer 200
 * after `delayMs` of real time, or answer `status`.
 */
export type Answer = "ok" | "fail" | { delayMs: number } | { status: number };

/**
 * One app with one subscription, in a fresh table for each test, and a receiver whose answer a
 * test sets: what the deliverer's pausing and lane tests run on. Read the fields inside tests.
 */
export interface OneSubscription {
  pipeline: Pipeline;
  store: Store;
  appId: string;
  clock: ReturnType<typeof fixedClock>;
  answer: Answer;
  /** Every request the receiver got, in order. */
  sent: OutboundRequest[];
  /** One deliverer container: its own health cache, as the handler makes it. */
  deliverer(random?: () => number, more?: Partial<DeliverDeps>): DeliverDeps;
  /** A new delivery of a new event to the subscription, as the fan-out writes it. */
  newDelivery(): Promise<Delivery>;
  health(): Promise<SubscriptionHealth>;
  advance(seconds: number): void;
  /** The visibility timeout the deliverer last set on a message. */
  lastHide(): number | undefined;
}

export function useOneSubscription(): OneSubscription {
  const pipeline = usePipeline();
  let deliveries = 0;
  const sender = {
    async send(request: OutboundRequest): Promise<SendResult> {
      fixture.sent.push(request);
      const { answer } = fixture;
      if (answer === "fail") {
        return { statusCode: null, durationMs: 5_000, responseBody: "", error: "timed out" };
      }
      if (answer !== "ok" && "status" in answer) {
        const ok = answer.status >= 200 && answer.status < 300;
        const error = ok ? null : `HTTP ${answer.status}`;
        return { statusCode: answer.status, durationMs: 3, responseBody: "", error };
      }
      if (answer !== "ok") await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      return { statusCode: 200, durationMs: 3, responseBody: "ok", error: null };
    },
  };
  const fixture: OneSubscription = {
    pipeline,
    store: undefined as unknown as Store,
    appId: "",
    clock: fixedClock("2026-11-23T02:00:00.000Z"),
    answer: "ok",
    sent: [],
    deliverer: (random = () => 0, more = {}) => ({
      store: fixture.store,
      queue: pipeline.messaging.queue,
      bus: pipeline.messaging.bus,
      sender,
      clock: fixture.clock,
      vault: testVault,
      retry: RETRY,
      probeLeaseMs: 15_000,
      health: cachedHealth(fixture.store, fixture.clock),
      userAgent: "Switchyard/test",
      random,
      ...more,
    }),
    async newDelivery() {
      const id = `evt_01JD${String(++deliveries).padStart(22, "0")}`;
      const event = appEvent(fixture.appId, { event_id: id });
      const subscription = await fixture.store.getSubscription(fixture.appId, SUBSCRIPTION);
      if (!subscription) throw new Error("no subscription");
      const delivery = webhookDelivery(subscription, event, {}, fixture.clock.now());
      await fixture.store.createDelivery(delivery);
      return delivery;
    },
    health: () => fixture.store.getHealth(fixture.appId, SUBSCRIPTION),
    advance: (seconds) =>
      fixture.clock.set(new Date(fixture.clock.now().getTime() + seconds * 1000).toISOString()),
    lastHide: () =>
      pipeline.messaging.sqs.commandCalls(ChangeMessageVisibilityCommand).at(-1)?.args[0].input
        .VisibilityTimeout,
  };
  beforeEach(async () => {
    fixture.store = await pipeline.table.freshStore();
    fixture.clock = fixedClock("2026-11-23T02:00:00.000Z");
    ({ appId: fixture.appId } = await newApp(fixture.store, fixture.clock));
    fixture.answer = "ok";
    fixture.sent = [];
    await fixture.store.createSubscription(
      fixture.appId,
      testSubscription({
        id: SUBSCRIPTION,
        events: ["*"],
        secrets: [{ secret: TEST_SECRET, created_at: "", expires_at: null }],
      }),
    );
  });
  return fixture;
}

/** The delivery's message as the delivery queue (the main lane) carries it: `m-<delivery>`. */
export function mainLaneTurn(deps: DeliverDeps, delivery: Delivery) {
  const message: DeliveryMessage = { v: 1, app_id: delivery.app_id, delivery_id: delivery.id };
  return deliver(deps, message, {
    messageId: `m-${delivery.id}`,
    receiptHandle: `rh-${delivery.id}`,
    lane: "main",
  });
}

/**
 * One turn of the delivery in the slow lane, where a failing subscription's deliveries are
 * (the main lane forwarded it there from `m-<delivery>`; `ticket` overrides the ticket).
 */
export function slowLaneTurn(
  deps: DeliverDeps,
  delivery: Delivery,
  ticket = { carrier: `t-${delivery.id}`, from: `m-${delivery.id}` },
) {
  const message: DeliveryMessage = {
    v: 1,
    app_id: delivery.app_id,
    delivery_id: delivery.id,
    slow_lane: ticket,
  };
  return deliver(deps, message, {
    messageId: `s-${ticket.carrier}`,
    receiptHandle: `rh-${delivery.id}`,
    lane: "slow",
  });
}
