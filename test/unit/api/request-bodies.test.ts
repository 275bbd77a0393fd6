import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { beforeEach, describe, expect, it } from "vitest";
import { freshApp, type Invoke, usePipeline } from "../../support/harness.ts";

const pipeline = usePipeline();
let call: Invoke;
let webhookId: string;

beforeEach(async () => {
  ({ call } = await freshApp(pipeline));
  await call({
    method: "POST",
    path: "/api/v2/events",
    body: { name: "Contact Created", sample_payload: {} },
  });
  const webhook = await call({
    method: "POST",
    path: "/api/v2/webhooks",
    body: { url: "https://example.com/hooks", events: ["contact_created"] },
  });
  webhookId = webhook.body.id;
  pipeline.messaging.reset();
});

const json = { "content-type": "application/json", linked_account_id: "acme" };

/** Every route that takes a body. */
const routes = (): [string, string][] => [
  ["POST", "/api/v2/public/event/contact_created"],
  ["POST", "/api/v2/public/event"],
  ["POST", "/api/v2/events"],
  ["PATCH", "/api/v2/events/contact_created"],
  ["POST", "/api/v2/webhooks"],
  ["PATCH", `/api/v2/webhooks/${webhookId}`],
  ["POST", `/api/v2/webhooks/${webhookId}/rotate-secret`],
];

/** What the app has: a bad request must change none of it. */
const snapshot = async () => ({
  items: await pipeline.table.items(),
  published: pipeline.messaging.eventBridge.commandCalls(PutEventsCommand).length,
});

describe("a body that is present must be a JSON object", () => {
  it.each([
    ["null", "null"],
    ["[]", "an array"],
    ['"x"', "a string"],
    ["3", "a number"],
    ["true", "a boolean"],
  ])("refuses %s on every route that takes a body, changing nothing", async (body, what) => {
    const before = await snapshot();
    for (const [method, path] of routes()) {
      const response = await call({ method, path, headers: json, body });
      expect(response.status, `${method} ${path}`).toBe(400);
      expect(response.body.message, `${method} ${path}`).toBe(
        `body must be a JSON object, not ${what}`,
      );
    }
    expect(await snapshot()).toEqual(before);
  });

  it("refuses an empty body that says it is JSON on every route, changing nothing", async () => {
    const before = await snapshot();
    for (const [method, path] of routes()) {
      for (const body of ["", undefined]) {
        const response = await call({ method, path, headers: json, body });
        expect(response.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
        expect(response.body.message).toBe(
          "body is empty, which is not JSON: send a JSON object, or no content-type and no body",
        );
      }
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe("a request without a body", () => {
  it("fires an event with an empty payload (the payload is optional)", async () => {
    const response = await call({
      method: "POST",
      path: "/api/v2/public/event/contact_created",
      headers: { linked_account_id: "acme" },
    });
    expect(response.status).toBe(200);
    expect(pipeline.messaging.publishedEvents()[0]).toMatchObject({ payload: {} });
  });

  it("rotates a webhook's secret", async () => {
    const response = await call({
      method: "POST",
      path: `/api/v2/webhooks/${webhookId}/rotate-secret`,
    });
    expect(response.status).toBe(200);
  });

  it("is fine with a JSON content-type on a GET or DELETE, which carry no body", async () => {
    const list = await call({ method: "GET", path: "/api/v2/events", headers: json });
    expect(list.status).toBe(200);
    const deleted = await call({
      method: "DELETE",
      path: `/api/v2/webhooks/${webhookId}`,
      headers: json,
    });
    expect(deleted.status).toBe(204);
  });

  it("is still a missing body where one is required", async () => {
    const response = await call({ method: "POST", path: "/api/v2/events" });
    expect(response.status).toBe(400);
    expect(response.body.message).toBe("body is required");
  });
});

describe("POST /api/v2/webhooks/{id}/rotate-secret", () => {
  it("takes an empty object", async () => {
    const path = `/api/v2/webhooks/${webhookId}/rotate-secret`;
    expect((await call({ method: "POST", path, body: {} })).status).toBe(200);
  });

  it("refuses any field, naming it, and keeps the secret", async () => {
    const path = `/api/v2/webhooks/${webhookId}/rotate-secret`;
    const before = await call({ method: "GET", path: `/api/v2/webhooks/${webhookId}/secret` });
    const response = await call({ method: "POST", path, body: { expires_in: 0 } });
    expect(response.status).toBe(400);
    expect(response.body.message).toBe('body has unknown field "expires_in"');
    const after = await call({ method: "GET", path: `/api/v2/webhooks/${webhookId}/secret` });
    expect(after.body.secret).toBe(before.body.secret);
  });
});
