import type { Context } from "aws-lambda";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../../../functions/core/ports.ts";
import { createRunnerHandler } from "../../../functions/runner/handler.ts";
import { deepObjects } from "../../support/deep-json.ts";
import { appEvent, busEnvelope, sqsRecords } from "../../support/events.ts";
import {
  apiClient,
  type fixedClock,
  freshApp,
  type Invoke,
  usePipeline,
} from "../../support/harness.ts";
import { startReceiver, type TestReceiver } from "../../support/receiver.ts";

const pipeline = usePipeline();
let call: Invoke;
let apiKey: string;
let appId: string;
let store: Store;
let clock: ReturnType<typeof fixedClock>;

beforeEach(async () => {
  ({ call, apiKey, appId, store, clock } = await freshApp(pipeline));
  await call({
    method: "POST",
    path: "/api/v2/events",
    body: { name: "Contact Created", sample_payload: { first_name: "Ada", is_new: true } },
  });
});

const workflow = {
  name: "Create CRM contact",
  event: "contact_created",
  linked_account_ids: ["acme"],
  filter: { is_new: [true] },
  action: {
    type: "http",
    url: "https://crm.example.com/contacts",
    method: "POST",
    headers: { Authorization: "Bearer {{linked_account_id}}" },
    body: {
      name: "{{payload.first_name}} {{payload.last_name}}",
      account: "{{linked_account_id}}",
    },
  },
};
/** The workflow for every account and payload. */
const { linked_account_ids: _accounts, filter: _filter, ...unscoped } = workflow;
const create = (body: unknown = workflow) =>
  call({ method: "POST", path: "/api/v2/workflows", body });
const withAction = (action: object) => ({ ...workflow, action: { ...workflow.action, ...action } });

describe("POST /api/v2/workflows", () => {
  it("creates a workflow and shows its secret once in the answer", async () => {
    const response = await create();
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.stringMatching(/^wf_[0-9A-Z]{26}$/),
      name: "Create CRM contact",
      description: null,
      event: "contact_created",
      enabled: true,
      linked_account_ids: ["acme"],
      filter: { is_new: [true] },
      action: {
        type: "http",
        url: "https://crm.example.com/contacts",
        method: "POST",
        // Header names are kept in lower case: HTTP's are case-insensitive.
        headers: { authorization: "Bearer {{linked_account_id}}" },
        body: workflow.action.body,
      },
      created_at: "2026-11-23T01:28:00.000Z",
      updated_at: "2026-11-23T01:28:00.000Z",
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
  });

  it("keeps the secret out of GET and list answers, and out of the table in clear", async () => {
    const { body } = await create();
    const one = await call({ method: "GET", path: `/api/v2/workflows/${body.id}` });
    const list = await call({ method: "GET", path: "/api/v2/workflows" });
    expect(one.body).toEqual({ ...body, secret: undefined, paused_until: null });
    expect(list.body.data).toEqual([{ ...body, secret: undefined }]);
    expect(JSON.stringify(list.body)).not.toContain("whsec_");
    expect(JSON.stringify(await pipeline.table.items("workflow"))).not.toContain("whsec_");
  });

  it("sends the event's payload when the action names no body, and no body for GET", async () => {
    const post = await create(withAction({ body: undefined }));
    expect(post.body.action.body).toBe("{{payload}}");
    const get = await create(withAction({ method: "GET", body: undefined }));
    expect(get.body.action).toMatchObject({ method: "GET", body: null });
  });

  it.each([
    [withAction({ method: "GET" }), "action.body: a GET request sends no body"],
    [withAction({ method: "DELETE", body: {} }), "action.body: a DELETE request sends no body"],
    [withAction({ method: "OPTIONS" }), "action.method must be one of"],
    [withAction({ type: "lambda" }), "action.type"],
    [{ ...workflow, event: "nope" }, 'event: no event with slug "nope"'],
    [{ ...workflow, event: "workflow.completed" }, 'no event with slug "workflow.completed"'],
    [withAction({ url: "http://crm.example.com/x" }), "https"],
    [withAction({ url: "https://169.254.169.254/latest" }), "non-global address"],
    [withAction({ body: { a: "{{secret}}" } }), 'action.body.a: unknown placeholder root "secret"'],
    [withAction({ body: ["ok", "{{payload.x"] }), "action.body[1]: unbalanced braces"],
    [withAction({ body: "{{event_id.x}}" }), "only payload has sub-paths"],
    [withAction({ headers: { "Content-Type": "text/plain" } }), "action.headers.Content-Type"],
    [withAction({ headers: { "user-agent": "x" } }), "action.headers.user-agent"],
    [withAction({ headers: { "Webhook-Id": "x" } }), "Switchyard sets this header itself"],
    [withAction({ headers: { "X-Switchyard-Event": "x" } }), "Switchyard sets this header itself"],
    [withAction({ headers: { a: "1", A: "2" } }), "action.headers.A: given twice"],
    [withAction({ headers: { "bad name": "x" } }), "not an HTTP header name"],
    [withAction({ headers: { a: "x".repeat(4097) } }), "at most 4096 bytes"],
    [withAction({ headers: { a: "é".repeat(2049) } }), "at most 4096 bytes"],
    [
      withAction({
        headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`h${i}`, "v"])),
      }),
      "at most 20 headers",
    ],
    [
      withAction({ headers: { authorization: "{{linked_account}}" } }),
      "action.headers.authorization",
    ],
    [{ ...workflow, filter: { is_new: true } }, "filter.is_new"],
    [{ ...workflow, secret: "whsec_x" }, '"secret"'],
    [{ ...workflow, name: "" }, "name must not be empty"],
  ])(
    "refuses a workflow with a 400 naming the problem (case %#), storing nothing",
    async (body, message) => {
      const response = await create(body);
      expect(response.status).toBe(400);
      expect(response.body.message).toContain(message);
      expect(await pipeline.table.items("workflow")).toEqual([]);
    },
  );

  it.each([
    ["a line break", "a\r\nx-injected: 1"],
    ["a control character", "a\u0007b"],
    ["a character beyond Latin-1", "你好"],
  ])("refuses a header value holding %s, storing nothing", async (_, value) => {
    const response = await create(withAction({ headers: { "x-note": value } }));
    expect(response.status).toBe(400);
    expect(response.body.message).toContain(
      "action.headers.x-note: holds a character no HTTP header may hold",
    );
    expect(await pipeline.table.items("workflow")).toEqual([]);
  });

  it("refuses a body template nested deeper than 32 levels", async () => {
    const body = `{"name":"x","event":"contact_created","action":{"type":"http","url":"https://crm.example.com/","body":${deepObjects(5_000)}}}`;
    const response = await create(body);
    expect(response.status).toBe(400);
    expect(response.body.message).toContain("action.body nests deeper than 32 levels");
  });
});

describe("PATCH and DELETE /api/v2/workflows/{id}", () => {
  it("merges action fields into the stored action and clears optional fields with null", async () => {
    const { body } = await create();
    const patched = await call({
      method: "PATCH",
      path: `/api/v2/workflows/${body.id}`,
      body: {
        enabled: false,
        filter: null,
        linked_account_ids: null,
        action: { url: "https://crm.example.com/v2/contacts" },
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      enabled: false,
      filter: null,
      linked_account_ids: null,
      action: { ...body.action, url: "https://crm.example.com/v2/contacts" },
    });
    const secret = await call({ method: "GET", path: `/api/v2/workflows/${body.id}/secret` });
    expect(secret.body.secret).toBe(body.secret);
  });

  it("checks the action as patched whole: a GET with the stored body is refused", async () => {
    const { body } = await create();
    const refused = await call({
      method: "PATCH",
      path: `/api/v2/workflows/${body.id}`,
      body: { action: { method: "GET" } },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain("a GET request sends no body");
    const accepted = await call({
      method: "PATCH",
      path: `/api/v2/workflows/${body.id}`,
      body: { action: { method: "GET", body: null } },
    });
    expect(accepted.body.action).toMatchObject({ method: "GET", body: null });
    const stored = await call({ method: "GET", path: `/api/v2/workflows/${body.id}` });
    expect(stored.body.action.method).toBe("GET");
  });

  it.each([
    [{ action: { url: "https://10.1.2.3/x" } }, "non-global address"],
    [{ action: { headers: { "x-switchyard-signature": "x" } } }, "Switchyard sets this header"],
    [{ event: "nope" }, 'no event with slug "nope"'],
    [{ secret: "whsec_x" }, '"secret"'],
  ])("refuses PATCH %j with a 400, changing nothing", async (change, message) => {
    const { body } = await create();
    const response = await call({
      method: "PATCH",
      path: `/api/v2/workflows/${body.id}`,
      body: change,
    });
    expect(response.status).toBe(400);
    expect(response.body.message).toContain(message);
    const stored = await call({ method: "GET", path: `/api/v2/workflows/${body.id}` });
    expect(stored.body).toEqual({ ...body, secret: undefined, paused_until: null });
  });

  it("shows paused_until while its action's receiver is paused, and drops that record on delete", async () => {
    const { body } = await create();
    await store.recordFailure(appId, body.id, "2026-11-23T02:00:00.000Z");
    await store.pause(appId, body.id, "2026-11-23T02:00:00.000Z");
    const paused = await call({ method: "GET", path: `/api/v2/workflows/${body.id}` });
    expect(paused.body.paused_until).toBe("2026-11-23T02:00:00.000Z");
    await call({ method: "DELETE", path: `/api/v2/workflows/${body.id}` });
    expect(await store.getHealth(appId, body.id)).toMatchObject({
      paused_until: null,
      failures: 0,
    });
  });

  it("deletes with 204, then answers 404", async () => {
    const { body } = await create();
    const path = `/api/v2/workflows/${body.id}`;
    expect((await call({ method: "DELETE", path })).status).toBe(204);
    expect((await call({ method: "GET", path })).status).toBe(404);
    expect((await call({ method: "DELETE", path })).status).toBe(404);
  });

  it("answers 404 for a malformed id and for another app's workflow", async () => {
    expect((await call({ method: "GET", path: "/api/v2/workflows/abc" })).status).toBe(404);
    const { body } = await create();
    const other = await freshApp(pipeline);
    expect(other.apiKey).not.toBe(apiKey);
    for (const [method, path] of [
      ["GET", `/api/v2/workflows/${body.id}`],
      ["PATCH", `/api/v2/workflows/${body.id}`],
      ["DELETE", `/api/v2/workflows/${body.id}`],
      ["GET", `/api/v2/workflows/${body.id}/secret`],
      ["POST", `/api/v2/workflows/${body.id}/rotate-secret`],
    ] as const) {
      const response = await other.call({
        method,
        path,
        body: method === "PATCH" ? {} : undefined,
      });
      expect(response.status, `${method} ${path}`).toBe(404);
    }
    expect((await other.call({ method: "GET", path: "/api/v2/workflows" })).body.data).toEqual([]);
  });
});

describe("a workflow's secret", () => {
  it("rotates: answers a new secret; the old one keeps signing for 24 hours", async () => {
    const { body } = await create();
    const rotated = await call({
      method: "POST",
      path: `/api/v2/workflows/${body.id}/rotate-secret`,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(body.secret);
    const current = await call({ method: "GET", path: `/api/v2/workflows/${body.id}/secret` });
    expect(current.body.secret).toBe(rotated.body.secret);
    const [stored] = await pipeline.table.items("workflow");
    expect(stored?.secrets).toEqual([
      expect.objectContaining({ expires_at: null }),
      expect.objectContaining({ expires_at: "2026-11-24T01:28:00.000Z" }),
    ]);
  });

  it("refuses a rotation with a body field", async () => {
    const { body } = await create();
    const response = await call({
      method: "POST",
      path: `/api/v2/workflows/${body.id}/rotate-secret`,
      body: { secret: "whsec_mine" },
    });
    expect(response.status).toBe(400);
  });
});

describe("GET /api/v2/workflows", () => {
  it("lists newest first and pages with a cursor", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await create({ ...workflow, name: `wf ${i}` })).body.id);
    const first = await call({ method: "GET", path: "/api/v2/workflows", query: { limit: "2" } });
    const rest = await call({
      method: "GET",
      path: "/api/v2/workflows",
      query: { limit: "2", cursor: first.body.next_cursor },
    });
    const listed = [...first.body.data, ...rest.body.data].map((w: { id: string }) => w.id);
    expect(listed).toEqual([...ids].reverse());
    expect(rest.body.next_cursor).toBeNull();
  });
});

describe("GET /api/v2/workflows/{id}/runs", () => {
  /** Runs the app's workflows for one event, as the runner does off the bus. */
  async function trigger(payload: object, eventId = "evt_01JD0000000000000000000000") {
    const runner = createRunnerHandler({
      store,
      queue: pipeline.messaging.queue,
      bus: pipeline.messaging.bus,
      clock,
      environment: "test",
    });
    const event = appEvent(appId, { event_id: eventId, payload: payload as never });
    await runner(sqsRecords(busEnvelope(event)), {} as Context);
  }

  it("lists runs newest first with their rendered request, credentials masked", async () => {
    const { body: created } = await create({
      ...unscoped,
      action: {
        ...workflow.action,
        headers: { authorization: "Bearer x", "x-tenant": "{{linked_account_id}}" },
      },
    });
    await trigger({ first_name: "Ada", last_name: "Lovelace" });
    await trigger({ first_name: "Grace" }, "evt_01JD0000000000000000000001");
    const runs = await call({ method: "GET", path: `/api/v2/workflows/${created.id}/runs` });
    expect(runs.status).toBe(200);
    expect(runs.body.next_cursor).toBeNull();
    const [errored, running] = runs.body.data;
    expect(running).toEqual({
      id: expect.stringMatching(/^run_[0-9A-Z]{26}$/),
      workflow_id: created.id,
      event_id: "evt_01JD0000000000000000000000",
      linked_account_id: "acme",
      status: "RUNNING",
      started_at: "2026-11-23T01:28:00.000Z",
      finished_at: null,
      error: null,
      delivery_id: expect.stringMatching(/^msg_/),
      request: {
        method: "POST",
        url: "https://crm.example.com/contacts",
        headers: { authorization: "[redacted]", "x-tenant": "acme" },
        body: { name: "Ada Lovelace", account: "acme" },
      },
    });
    expect(errored).toMatchObject({
      event_id: "evt_01JD0000000000000000000001",
      status: "ERRORED",
      finished_at: "2026-11-23T01:28:00.000Z",
      error: "action.body.name: payload.last_name is missing from the event",
      request: { body: null },
    });
  });

  it("ends a run ERRORED whose header renders what no header may hold, or more than 4 KiB", async () => {
    const { body: created } = await create({
      ...unscoped,
      action: { ...workflow.action, headers: { "x-name": "{{payload.first_name}}" }, body: {} },
    });
    await trigger({ first_name: "你好" });
    await trigger({ first_name: "x".repeat(4097) }, "evt_01JD0000000000000000000001");
    await trigger({ first_name: "Ada" }, "evt_01JD0000000000000000000002");
    const runs = await call({ method: "GET", path: `/api/v2/workflows/${created.id}/runs` });
    expect(
      runs.body.data.map((run: { status: string; error: string | null }) => [
        run.status,
        run.error,
      ]),
    ).toEqual([
      ["RUNNING", null],
      ["ERRORED", "action.headers.x-name: renders more than 4096 bytes"],
      [
        "ERRORED",
        "action.headers.x-name: renders a character no HTTP header may hold (a line break, a control character or one beyond Latin-1)",
      ],
    ]);
  });

  it("pages runs 20 at most, whatever the limit: each carries its request body", async () => {
    const { body: created } = await create(unscoped);
    for (let n = 0; n < 21; n++) {
      await trigger(
        { first_name: "Ada", last_name: `${n}` },
        `evt_01JD00000000000000000000${String(n).padStart(2, "0")}`,
      );
    }
    const first = await call({
      method: "GET",
      path: `/api/v2/workflows/${created.id}/runs`,
      query: { limit: "200" },
    });
    expect(first.body.data).toHaveLength(20);
    const rest = await call({
      method: "GET",
      path: `/api/v2/workflows/${created.id}/runs`,
      query: { limit: "200", cursor: first.body.next_cursor },
    });
    expect(rest.body.data).toHaveLength(1);
  });

  it("answers 404 for another app's workflow", async () => {
    const { body: created } = await create();
    const other = await freshApp(pipeline);
    const runs = await other.call({ method: "GET", path: `/api/v2/workflows/${created.id}/runs` });
    expect(runs.status).toBe(404);
  });
});

describe("POST /api/v2/workflows/{id}/test", () => {
  let receiver: TestReceiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it("renders the definition's sample payload for the test account and says whether it matches", async () => {
    const { body: created } = await create({
      ...unscoped,
      action: {
        ...workflow.action,
        body: { name: "{{payload.first_name}}", account: "{{linked_account_id}}" },
      },
    });
    const rendered = await call({ method: "POST", path: `/api/v2/workflows/${created.id}/test` });
    expect(rendered.status).toBe(200);
    expect(rendered.body).toEqual({
      matched: true,
      request: {
        method: "POST",
        url: "https://crm.example.com/contacts",
        headers: { authorization: "[redacted]" },
        body: { name: "Ada", account: "test" },
      },
    });
  });

  it("answers a 400 naming the path the test payload lacks", async () => {
    const { body: created } = await create();
    const response = await call({
      method: "POST",
      path: `/api/v2/workflows/${created.id}/test`,
      body: { payload: { first_name: "Ada" } },
    });
    expect(response.status).toBe(400);
    expect(response.body.message).toBe(
      "action.body.name: payload.last_name is missing from the event",
    );
  });

  it("renders a given payload and account, and says when scoping or filter would stop it", async () => {
    const { body: created } = await create();
    const payload = { first_name: "Ada", last_name: "Lovelace", is_new: true };
    const matching = await call({
      method: "POST",
      path: `/api/v2/workflows/${created.id}/test`,
      body: { payload, linked_account_id: "acme" },
    });
    expect(matching.body).toEqual({
      matched: true,
      request: {
        method: "POST",
        url: "https://crm.example.com/contacts",
        headers: { authorization: "[redacted]" },
        body: { name: "Ada Lovelace", account: "acme" },
      },
    });
    const otherAccount = await call({
      method: "POST",
      path: `/api/v2/workflows/${created.id}/test`,
      body: { payload, linked_account_id: "globex" },
    });
    expect(otherAccount.body.matched).toBe(false);
    const filtered = await call({
      method: "POST",
      path: `/api/v2/workflows/${created.id}/test`,
      body: { payload: { ...payload, is_new: false }, linked_account_id: "acme" },
    });
    expect(filtered.body.matched).toBe(false);
    const published = pipeline.messaging.publishedEvents().map((event) => String(event.type));
    expect(published.filter((type) => type.startsWith("workflow."))).toEqual([]);
    expect(await pipeline.table.items("delivery")).toEqual([]);
  });

  /** A workflow whose action posts to this machine's receiver, as a local deployment allows. */
  async function workflowToReceiver() {
    const local = apiClient(store, pipeline.messaging, clock, apiKey, {
      allowPrivateUrls: true,
      requireHttps: false,
    });
    const { body: created } = await local({
      method: "POST",
      path: "/api/v2/workflows",
      body: { ...unscoped, action: { ...workflow.action, url: receiver.url } },
    });
    return { local, created };
  }

  it("sends the request once, signed with the workflow's secret, and answers the attempt", async () => {
    const { local, created } = await workflowToReceiver();
    receiver.respond = { status: 202, body: "queued" };
    const now = new Date().toISOString(); // a receiver rejects a signature minutes old
    clock.set(now);
    const sent = await local({
      method: "POST",
      path: `/api/v2/workflows/${created.id}/test`,
      body: { payload: { first_name: "Ada", last_name: "Lovelace" }, send: true },
    });
    expect(sent.status).toBe(200);
    expect(sent.body.attempt).toEqual({
      attempt: 1,
      at: now,
      status_code: 202,
      duration_ms: expect.any(Number),
      response_body: "queued",
      error: null,
    });
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request?.headers.authorization).toBe("Bearer test");
    const headers = request?.headers as Record<string, string>;
    expect(new Webhook(created.secret).verify(request?.body ?? "", headers)).toEqual({
      name: "Ada Lovelace",
      account: "test",
    });
    expect(await pipeline.table.items("delivery")).toEqual([]);
  });

  it("refuses a private action URL where the deployment refuses them, when it is sent", async () => {
    const { created } = await workflowToReceiver();
    receiver.requests.length = 0;
    const strict = apiClient(store, pipeline.messaging, clock, apiKey, {
      allowPrivateUrls: false,
      requireHttps: false,
    });
    const refused = await strict({
      method: "POST",
      path: `/api/v2/workflows/${created.id}/test`,
      body: { payload: { first_name: "Ada", last_name: "Lovelace" }, send: true },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain("non-global address");
    expect(receiver.requests).toEqual([]);
  });

  it("refuses unknown fields", async () => {
    const { body: created } = await create();
    const response = await call({
      method: "POST",
      path: `/api/v2/workflows/${created.id}/test`,
      body: { sample: {} },
    });
    expect(response.status).toBe(400);
  });
});
