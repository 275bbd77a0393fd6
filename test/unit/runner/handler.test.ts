import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import type { Context } from "aws-lambda";
import { beforeEach, describe, expect, it } from "vitest";
import type { RoutedEvent, Workflow } from "../../../functions/core/model.ts";
import type { Store } from "../../../functions/core/ports.ts";
import { runId } from "../../../functions/core/workflow-runs.ts";
import { createRunnerHandler } from "../../../functions/runner/handler.ts";
import type { TestTable } from "../../support/dynamo.ts";
import { appEvent, busEnvelope, sqsRecords, testWorkflow } from "../../support/events.ts";
import { fixedClock, type Messaging, usePipeline } from "../../support/harness.ts";

const APP = "app_01JD0000000000000000000000";
const context = {} as Context;
let table: TestTable;
let messaging: Messaging;
let store: Store;
let runner: ReturnType<typeof createRunnerHandler>;
let clock: ReturnType<typeof fixedClock>;

const pipeline = usePipeline();
beforeEach(async () => {
  ({ table, messaging } = pipeline);
  store = await table.freshStore();
  clock = fixedClock();
  runner = createRunnerHandler({
    store,
    queue: messaging.queue,
    bus: messaging.bus,
    clock,
    environment: "staging",
  });
});

let workflowCount = 0;
async function workflow(overrides: Partial<Workflow> = {}): Promise<Workflow> {
  const id = `wf_01JD00000000000000000000${String(++workflowCount).padStart(2, "0")}`;
  const created = testWorkflow({ id, ...overrides });
  await store.createWorkflow(APP, created);
  return created;
}

const run = (...events: RoutedEvent[]) =>
  runner(sqsRecords(...events.map((event) => busEnvelope(event))), context);

const queuedDeliveryIds = () =>
  messaging.sqs
    .commandCalls(SendMessageBatchCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => JSON.parse(entry.MessageBody ?? "{}").delivery_id as string);

describe("the workflow runner", () => {
  it("runs every workflow the event's type, account and payload let through, and no other", async () => {
    const running = [
      await workflow(),
      await workflow({ linked_account_ids: ["acme"] }),
      await workflow({ filter: { address: { pincode: [560103] } } }),
    ];
    await workflow({ filter: { address: { pincode: [1] } } }); // filtered out
    await workflow({ linked_account_ids: ["globex"] }); // another account
    await workflow({ enabled: false });
    await workflow({ event: "invoice_paid" });

    expect(await run(appEvent(APP))).toEqual({ batchItemFailures: [] });

    const deliveries = await table.items("delivery");
    expect(deliveries.map((d) => (d.target as { id: string }).id).sort()).toEqual(
      running.map((w) => w.id).sort(),
    );
    expect(queuedDeliveryIds().sort()).toEqual(deliveries.map((d) => d.id).sort());
  });

  it("renders the action into the delivery: method, URL, headers, body with JSON types", async () => {
    const created = await workflow({
      action: {
        type: "http",
        url: "https://crm.example.com/contacts",
        method: "PUT",
        headers: {
          authorization: "Bearer {{linked_account_id}}",
          "x-zip": "{{payload.address.pincode}}",
        },
        body: {
          name: "{{payload.first_name}}",
          zip: "{{payload.address.pincode}}",
          all: "{{payload}}",
        },
      },
    });
    await run(appEvent(APP));
    const [item] = await table.items("delivery");
    const delivery = await store.getDelivery(APP, String(item?.id));
    expect(delivery).toMatchObject({
      target: { type: "workflow", id: created.id },
      url: "https://crm.example.com/contacts",
      method: "PUT",
      status: "pending",
      run: {
        id: runId({ id: String(item?.id) }),
        workflow_name: "Create CRM contact",
        headers: { authorization: "Bearer acme", "x-zip": "560103" },
        error: null,
      },
    });
    expect(JSON.parse(String(delivery?.body))).toEqual({
      name: "Mark",
      zip: 560103,
      all: { first_name: "Mark", address: { pincode: 560103 } },
    });
  });

  it("ends a run whose template reads a missing path ERRORED at once: nothing queued, workflow.errored published", async () => {
    const created = await workflow({
      action: {
        type: "http",
        url: "https://crm.example.com/contacts",
        method: "POST",
        headers: {},
        body: { last: "{{payload.last_name}}" },
      },
    });
    expect(await run(appEvent(APP))).toEqual({ batchItemFailures: [] });
    expect(queuedDeliveryIds()).toEqual([]);
    const [item] = await table.items("delivery");
    expect(item).toMatchObject({
      status: "discarded",
      status_reason: "render_failed",
      run: { error: "action.body.last: payload.last_name is missing from the event" },
    });
    const published = messaging.publishedEvents();
    expect(published).toEqual([
      expect.objectContaining({
        type: "workflow.errored",
        platform: true,
        linked_account_id: "acme",
        payload: {
          workflow_id: created.id,
          workflow_name: "Create CRM contact",
          run_id: runId({ id: String(item?.id) }),
          event_id: "evt_01JD0000000000000000000000",
          linked_account_id: "acme",
          status: "ERRORED",
          error: "action.body.last: payload.last_name is missing from the event",
          instance_id: runId({ id: String(item?.id) }),
          event: "Workflow Errored",
          environment: "staging",
        },
      }),
    ]);
  });

  it("makes no second run when the bus hands it the same event again, minutes later", async () => {
    await workflow();
    await workflow({
      action: {
        type: "http",
        url: "https://x.example.com/",
        method: "POST",
        headers: {},
        body: "{{payload.nope}}",
      },
    });
    await run(appEvent(APP));
    clock.set("2026-11-23T01:31:00.000Z");
    await run(appEvent(APP));
    expect(await table.items("delivery")).toHaveLength(2);
    // The pending one is queued again (at least once); the errored one is not.
    const queued = queuedDeliveryIds();
    expect(queued).toHaveLength(2);
    expect(new Set(queued).size).toBe(1);
    // The same workflow.errored twice: one id, so the fan-out delivers it once.
    const errored = messaging.publishedEvents().filter((e) => e.type === "workflow.errored");
    expect(errored).toHaveLength(2);
    expect(errored[0]?.event_id).toBe(errored[1]?.event_id);
    const runIds = errored.map((e) => (e.payload as { run_id: string }).run_id);
    expect(runIds[0]).toBe(runIds[1]);
  });

  it("reads an app's workflows at most once in 4 s, an empty list too", async () => {
    let reads = 0;
    const counted: Store = {
      ...store,
      allWorkflows: (appId) => {
        reads++;
        return store.allWorkflows(appId);
      },
    };
    const cached = createRunnerHandler({
      store: counted,
      queue: messaging.queue,
      bus: messaging.bus,
      clock,
      environment: "staging",
    });
    await cached(sqsRecords(busEnvelope(appEvent(APP))), context);
    await cached(
      sqsRecords(busEnvelope(appEvent(APP, { event_id: "evt_01JD0000000000000000000002" }))),
      context,
    );
    expect(reads).toBe(1);
    clock.set("2026-11-23T01:28:05.000Z");
    await cached(
      sqsRecords(busEnvelope(appEvent(APP, { event_id: "evt_01JD0000000000000000000003" }))),
      context,
    );
    expect(reads).toBe(2);
  });

  it("runs nothing for a platform event, whatever its type", async () => {
    await workflow({ event: "workflow.completed" });
    await workflow({ event: "delivery.dead_lettered" });
    await run(
      appEvent(APP, { type: "workflow.completed", platform: true }),
      appEvent(APP, {
        type: "delivery.dead_lettered",
        platform: true,
        event_id: "evt_01JD0000000000000000000001",
      }),
    );
    expect(await table.items("delivery")).toEqual([]);
  });

  it("reports an event whose runs could not be written, so the queue hands it back", async () => {
    await workflow();
    const broken: Store = {
      ...store,
      createDelivery: async () => Promise.reject(new Error("table down")),
    };
    const failing = createRunnerHandler({
      store: broken,
      queue: messaging.queue,
      bus: messaging.bus,
      clock: fixedClock(),
      environment: "staging",
    });
    const result = await failing(sqsRecords(busEnvelope(appEvent(APP))), context);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: "m-0" }] });
  });
});
