import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { Context, SQSEvent } from "aws-lambda";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createHttpSender } from "../../../functions/adapters/http-sender.ts";
import type { Delivery, Workflow } from "../../../functions/core/model.ts";
import type { Store } from "../../../functions/core/ports.ts";
import { runId, workflowDelivery } from "../../../functions/core/workflow-runs.ts";
import { createDelivererHandler } from "../../../functions/deliverer/handler.ts";
import { appEvent, TEST_SECRET, testWorkflow } from "../../support/events.ts";
import {
  fixedClock,
  type Messaging,
  newApp,
  testVault,
  usePipeline,
} from "../../support/harness.ts";
import { useReceiver } from "../../support/receiver.ts";

const context = {} as Context;
let messaging: Messaging;
let store: Store;
let appId: string;
let clock: ReturnType<typeof fixedClock>;
let senders: { close(): void }[] = [];

const pipeline = usePipeline();
const receiver = useReceiver();
beforeEach(async () => {
  ({ messaging } = pipeline);
  receiver.requests.length = 0;
  receiver.respond = { status: 200, body: "ok" };
  store = await pipeline.table.freshStore();
  clock = fixedClock(new Date().toISOString());
  ({ appId } = await newApp(store, clock));
});
afterEach(() => {
  for (const sender of senders) sender.close();
  senders = [];
});

/** The deliverer with no retries: a failed attempt is its last. */
function deliverer() {
  const sender = createHttpSender({ timeoutMs: 2_000, allowPrivateUrls: true });
  senders.push(sender);
  return createDelivererHandler({
    store,
    queue: messaging.queue,
    bus: messaging.bus,
    sender,
    clock,
    environment: "staging",
    vault: testVault,
    retry: { maxRetries: 0, baseSeconds: 30 },
    probeLeaseMs: 15_000,
    userAgent: "Switchyard/test",
    random: () => 0.5,
  });
}

async function runOf(overrides: Partial<Workflow> = {}, action: Partial<Workflow["action"]> = {}) {
  const now = clock.now().toISOString();
  const workflow = testWorkflow(
    {
      created_at: now,
      updated_at: now,
      secrets: [{ secret: TEST_SECRET, created_at: now, expires_at: null }],
      ...overrides,
    },
    { url: receiver.url, method: "PUT", ...action },
  );
  await store.createWorkflow(appId, workflow);
  const event = appEvent(appId);
  const delivery = workflowDelivery(workflow, event, event.payload ?? {}, clock.now());
  await store.createDelivery(delivery);
  return { workflow, delivery };
}

function sqsEvent(delivery: Delivery): SQSEvent {
  return {
    Records: [
      {
        messageId: "m-0",
        receiptHandle: "rh-0",
        body: JSON.stringify({ v: 1, app_id: delivery.app_id, delivery_id: delivery.id }),
        attributes: {} as SQSEvent["Records"][number]["attributes"],
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:deliveries",
        awsRegion: "us-east-1",
      },
    ],
  };
}

describe("a workflow's delivery", () => {
  it("sends the rendered request with its method and headers, signed with the workflow's secret", async () => {
    const { delivery } = await runOf();
    await deliverer()(sqsEvent(delivery), context);
    const [request] = receiver.requests;
    expect(request).toMatchObject({ method: "PUT", body: '{"name":"Mark","zip":560103}' });
    expect(request?.headers).toMatchObject({
      authorization: "Bearer acme",
      "content-type": "application/json",
      "user-agent": "Switchyard/test",
      "webhook-id": delivery.id,
      "x-switchyard-event": "contact_created",
      "x-switchyard-attempt": "1",
    });
    const headers = request?.headers as Record<string, string>;
    expect(new Webhook(TEST_SECRET).verify(request?.body ?? "", headers)).toEqual({
      name: "Mark",
      zip: 560103,
    });
    expect((await store.getDelivery(appId, delivery.id))?.status).toBe("succeeded");
  });

  it("signs a GET's empty body", async () => {
    const { delivery } = await runOf({}, { method: "GET", body: null });
    await deliverer()(sqsEvent(delivery), context);
    const [request] = receiver.requests;
    expect(request).toMatchObject({ method: "GET", body: "" });
    const headers = request?.headers as Record<string, string>;
    expect(() => new Webhook(TEST_SECRET).verify("", headers)).not.toThrow();
  });

  it("reports the completed run as workflow.completed", async () => {
    const { workflow, delivery } = await runOf();
    await deliverer()(sqsEvent(delivery), context);
    const run = runId(delivery);
    expect(messaging.publishedEvents()).toEqual([
      expect.objectContaining({
        type: "workflow.completed",
        platform: true,
        linked_account_id: "acme",
        payload: {
          workflow_id: workflow.id,
          workflow_name: "Create CRM contact",
          run_id: run,
          event_id: delivery.event_id,
          linked_account_id: "acme",
          status: "COMPLETED",
          error: null,
          instance_id: run,
          event: "Workflow Completed",
          environment: "staging",
        },
      }),
    ]);
  });

  it("reports the run again, not the request, when its message comes back after the report failed", async () => {
    const { delivery } = await runOf();
    messaging.eventBridge.on(PutEventsCommand).rejectsOnce(new Error("bus down"));
    const first = await deliverer()(sqsEvent(delivery), context);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: "m-0" }]);
    expect((await store.getDelivery(appId, delivery.id))?.status).toBe("succeeded");
    await deliverer()(sqsEvent(delivery), context);
    expect(receiver.requests).toHaveLength(1);
    const reports = messaging.publishedEvents().filter((e) => e.type === "workflow.completed");
    expect(reports).toHaveLength(2); // the failed put and the one after it: one id
    expect(reports[0]?.event_id).toBe(reports[1]?.event_id);
  });

  it("reports a run whose last attempt failed as workflow.errored, beside delivery.dead_lettered", async () => {
    receiver.respond = { status: 500, body: "no" };
    const { delivery } = await runOf();
    await deliverer()(sqsEvent(delivery), context);
    expect((await store.getDelivery(appId, delivery.id))?.status).toBe("dead_lettered");
    const published = messaging.publishedEvents();
    expect(published.map((event) => event.type).sort()).toEqual([
      "delivery.dead_lettered",
      "workflow.errored",
    ]);
    expect(published.find((event) => event.type === "workflow.errored")?.payload).toMatchObject({
      status: "ERRORED",
      error: "retries_exhausted: HTTP 500",
      event: "Workflow Errored",
    });
  });

  it("dead-letters a disabled workflow's delivery without a request, and discards a deleted one's", async () => {
    const disabled = await runOf({ enabled: false });
    await deliverer()(sqsEvent(disabled.delivery), context);
    expect(await store.getDelivery(appId, disabled.delivery.id)).toMatchObject({
      status: "dead_lettered",
      status_reason: "workflow_disabled",
    });
    await store.deleteWorkflow(appId, disabled.workflow.id);
    const gone = await runOf({ id: "wf_01JD0000000000000000000002" });
    await store.deleteWorkflow(appId, gone.workflow.id);
    await deliverer()(sqsEvent(gone.delivery), context);
    expect(await store.getDelivery(appId, gone.delivery.id)).toMatchObject({
      status: "discarded",
      status_reason: "workflow_deleted",
    });
    expect(receiver.requests).toEqual([]);
  });
});
