import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, type LocalRuntime, useLocalRuntimes } from "../support/local-runtime.ts";
import { type ReceivedRequest, startReceiver, type TestReceiver } from "../support/receiver.ts";

// Fast retries (0.5 s, 2 s, 8 s after rounding up for SQS) keep an action that fails for good
// under a quarter of a minute.
const { start } = useLocalRuntimes({
  SWITCHYARD_RETRY_BASE_SECONDS: "0.5",
  SWITCHYARD_DELIVERY_TIMEOUT_SECONDS: "2",
});

let crm: TestReceiver; // answers 200
let helpdesk: TestReceiver; // answers 500 in the failing case
let hooks: TestReceiver; // the app's own webhook receiver

beforeAll(async () => {
  [crm, helpdesk, hooks] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
});
afterAll(async () => {
  await Promise.all([crm?.close(), helpdesk?.close(), hooks?.close()]);
});

const headersOf = (request: ReceivedRequest | undefined) =>
  (request?.headers ?? {}) as Record<string, string>;

async function createWorkflow(runtime: LocalRuntime, body: object) {
  const created = await runtime.call("POST", "/api/v2/workflows", body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body as { id: string; secret: string };
}

describe("workflows on npm start", () => {
  it("runs one event through two workflows and a subscription, each signed with its own secret, and reports each run", async () => {
    for (const receiver of [crm, helpdesk, hooks]) {
      receiver.requests.length = 0;
      receiver.respond = { status: 200, body: "ok" };
    }
    const runtime = await start();
    await runtime.call("POST", "/api/v2/events", {
      name: "Contact Created",
      sample_payload: { first_name: "Ada", last_name: "Lovelace", is_new: true },
    });
    const crmFlow = await createWorkflow(runtime, {
      name: "CRM contact",
      event: "contact_created",
      linked_account_ids: ["acme"],
      filter: { is_new: [true] },
      action: {
        type: "http",
        url: crm.url,
        headers: { authorization: "Bearer {{linked_account_id}}" },
        body: { name: "{{payload.first_name}} {{payload.last_name}}", new: "{{payload.is_new}}" },
      },
    });
    const helpdeskFlow = await createWorkflow(runtime, {
      name: "Helpdesk ticket",
      event: "contact_created",
      action: {
        type: "http",
        url: helpdesk.url,
        method: "PUT",
        body: { subject: "{{event}} for {{linked_account_id}}" },
      },
    });
    // Scoped away and filtered away: neither runs.
    await createWorkflow(runtime, {
      name: "Other account",
      event: "contact_created",
      linked_account_ids: ["globex"],
      action: { type: "http", url: crm.url },
    });
    await createWorkflow(runtime, {
      name: "Only old contacts",
      event: "contact_created",
      filter: { is_new: [false] },
      action: { type: "http", url: crm.url },
    });
    const subscription = await runtime.call("POST", "/api/v2/webhooks", {
      url: hooks.url,
      events: ["contact_created", "workflow.completed"],
    });

    const triggered = await runtime.call(
      "POST",
      "/api/v2/public/event/contact_created",
      { payload: { first_name: "Ada", last_name: "Lovelace", is_new: true } },
      { linked_account_id: "acme" },
    );
    expect(triggered.status).toBe(200);

    // The app's event and the two workflow.completed reports reach the subscription.
    await eventually(async () => hooks.requests.length >= 3, 15_000, "three webhooks");
    expect(crm.requests).toHaveLength(1);
    expect(helpdesk.requests).toHaveLength(1);

    const [toCrm] = crm.requests;
    expect(toCrm?.method).toBe("POST");
    expect(toCrm?.headers.authorization).toBe("Bearer acme");
    expect(new Webhook(crmFlow.secret).verify(toCrm?.body ?? "", headersOf(toCrm))).toEqual({
      name: "Ada Lovelace",
      new: true,
    });
    const [toHelpdesk] = helpdesk.requests;
    expect(toHelpdesk?.method).toBe("PUT");
    expect(
      new Webhook(helpdeskFlow.secret).verify(toHelpdesk?.body ?? "", headersOf(toHelpdesk)),
    ).toEqual({ subject: "contact_created for acme" });
    // Each is signed with its own secret alone.
    expect(() =>
      new Webhook(helpdeskFlow.secret).verify(toCrm?.body ?? "", headersOf(toCrm)),
    ).toThrow();

    const webhooks = hooks.requests.map((request) => {
      expect(() =>
        new Webhook(subscription.body.secret).verify(request.body, headersOf(request)),
      ).not.toThrow();
      return JSON.parse(request.body);
    });
    expect(webhooks.map((body) => body.type).sort()).toEqual([
      "contact_created",
      "workflow.completed",
      "workflow.completed",
    ]);
    const reports = webhooks.filter((body) => body.type === "workflow.completed");
    expect(reports.map((report) => report.data.workflow_id).sort()).toEqual(
      [crmFlow.id, helpdeskFlow.id].sort(),
    );
    expect(reports[0].data).toMatchObject({
      status: "COMPLETED",
      error: null,
      event: "Workflow Completed",
      environment: "local",
      linked_account_id: "acme",
    });

    const runs = await runtime.call("GET", `/api/v2/workflows/${crmFlow.id}/runs`);
    expect(runs.body.data).toEqual([
      expect.objectContaining({
        id: reports.find((report) => report.data.workflow_id === crmFlow.id)?.data.run_id,
        status: "COMPLETED",
        request: expect.objectContaining({ headers: { authorization: "[redacted]" } }),
      }),
    ]);
    // Nothing loops: the reports ran no workflow and made no further report.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(crm.requests).toHaveLength(1);
    expect(hooks.requests).toHaveLength(3);
  }, 60_000);

  it("ends a failing action ERRORED after its retries and reports the error to workflow.errored's subscribers", async () => {
    for (const receiver of [helpdesk, hooks]) receiver.requests.length = 0;
    helpdesk.respond = { status: 500, body: "down" };
    hooks.respond = { status: 200, body: "ok" };
    const runtime = await start();
    await runtime.call("POST", "/api/v2/events", { name: "Contact Created", sample_payload: {} });
    const flow = await createWorkflow(runtime, {
      name: "Helpdesk ticket",
      event: "contact_created",
      action: { type: "http", url: helpdesk.url },
    });
    await runtime.call("POST", "/api/v2/webhooks", {
      url: hooks.url,
      events: ["workflow.errored"],
    });
    await runtime.call(
      "POST",
      "/api/v2/public/event/contact_created",
      { payload: { first_name: "Ada" } },
      { linked_account_id: "acme" },
    );
    const report = await eventually(
      async () =>
        hooks.requests
          .map((request) => JSON.parse(request.body))
          .find((body) => body.type === "workflow.errored"),
      30_000,
      "workflow.errored",
    );
    expect(helpdesk.requests).toHaveLength(4); // the attempt and its three retries
    expect(report.data).toMatchObject({
      workflow_id: flow.id,
      status: "ERRORED",
      error: "retries_exhausted: HTTP 500",
      event: "Workflow Errored",
    });
    const runs = await runtime.call("GET", `/api/v2/workflows/${flow.id}/runs`);
    expect(runs.body.data).toEqual([
      expect.objectContaining({ status: "ERRORED", error: "retries_exhausted: HTTP 500" }),
    ]);
  }, 60_000);
});
