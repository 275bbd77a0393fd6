import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context, SQSEvent } from "aws-lambda";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { DeliveryMessage } from "../../functions/core/model.ts";
import type { Store } from "../../functions/core/ports.ts";
import { createDeadLetterHandler } from "../../functions/dead-letters/handler.ts";
import { createFanOutHandler } from "../../functions/fanout/handler.ts";
import { TABLE_ACCESS } from "../../infra/table-access.ts";
import { appEvent, busEnvelope, sqsRecords, testSubscription } from "../support/events.ts";
import { freshApp, type Invoke, usePipeline } from "../support/harness.ts";

/**
 * The roles the stack grants (TABLE_ACCESS, which the stack test finds in the template) hold
 * every DynamoDB action the functions' code calls: each function is run through its paths
 * and every command its client sends is noted.
 */
const pipeline = usePipeline();
const context = {} as Context;
let store: Store;
let appId: string;
let call: Invoke;

const IAM: Record<string, string> = {
  GetCommand: "GetItem",
  PutCommand: "PutItem",
  UpdateCommand: "UpdateItem",
  DeleteCommand: "DeleteItem",
  QueryCommand: "Query",
};

beforeEach(async () => {
  ({ store, appId, call } = await freshApp(pipeline));
});

/** Runs `work` and answers the DynamoDB actions it called, as IAM names them. */
async function actionsOf(work: () => Promise<unknown>): Promise<string[]> {
  const send = vi.spyOn(DynamoDBDocumentClient.prototype, "send");
  await work();
  const names = new Set(send.mock.calls.map(([command]) => command.constructor.name));
  send.mockRestore();
  return [...names].map((name) => IAM[name] ?? name).sort();
}

describe("the functions' DynamoDB grants", () => {
  it("cover the trigger: keys, names, claims, a refused hand-off undone", async () => {
    await call({
      method: "POST",
      path: "/api/v2/events",
      body: { name: "Contact Created", sample_payload: {} },
    });
    const trigger = (headers: Record<string, string>, body: unknown = {}) =>
      call({
        method: "POST",
        path: "/api/v2/public/event",
        headers: { linked_account_id: "acme", ...headers },
        body: { event: "Contact Created", ...(body as object) },
      });
    const actions = await actionsOf(async () => {
      expect((await trigger({ "idempotency-key": "k-1" })).status).toBe(200);
      pipeline.messaging.eventBridge.on(PutEventsCommand).resolves({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: "InvalidArgument", ErrorMessage: "refused" }],
      });
      expect((await trigger({ "idempotency-key": "k-2" })).status).toBe(500);
    });
    expect(actions).toEqual([...TABLE_ACCESS.trigger].sort());
  });

  it("cover the fan-out: subscriptions, an event by reference, deliveries written once", async () => {
    await store.createSubscription(appId, testSubscription());
    const { payload, ...reference } = appEvent(appId);
    await store.putEvent({ ...reference, payload: payload ?? {} });
    const fanOut = createFanOutHandler({
      store,
      queue: pipeline.messaging.queue,
      clock: { now: () => new Date("2026-11-23T01:28:00.000Z") },
    });
    const actions = await actionsOf(async () => {
      const event = sqsRecords(busEnvelope(reference));
      await fanOut(event, context);
      await fanOut(event, context); // routed again: the delivery is there already
    });
    expect(actions).toEqual([...TABLE_ACCESS.fanout].sort());
  });

  it("cover the dead-letter recorder: a delivery read and marked, its subscription disabled for failing too long", async () => {
    const subscription = testSubscription();
    await store.createSubscription(appId, subscription);
    const fanOut = createFanOutHandler({
      store,
      queue: pipeline.messaging.queue,
      clock: { now: () => new Date("2026-11-23T01:28:00.000Z") },
    });
    await fanOut(sqsRecords(busEnvelope(appEvent(appId))), context);
    const [delivery] = await pipeline.table.items("delivery");
    const message: DeliveryMessage = { v: 1, app_id: appId, delivery_id: String(delivery?.id) };
    // Failing for six days: the redrive's dead letter disables it.
    await store.recordFailure(appId, subscription.id, "2026-11-17T01:29:00.000Z");
    const recorder = createDeadLetterHandler({
      store,
      bus: pipeline.messaging.bus,
      clock: { now: () => new Date("2026-11-23T01:29:00.000Z") },
      disableAfterHours: 120,
    });
    const actions = await actionsOf(() => recorder(sqsRecords(message) as SQSEvent, context));
    expect(actions).toEqual([...TABLE_ACCESS["dead-letters"]].sort());
  });
});
