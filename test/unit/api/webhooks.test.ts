import { beforeEach, describe, expect, it } from "vitest";
import { deepArrays, deepObjects } from "../../support/deep-json.ts";
import { type fixedClock, freshApp, type Invoke, usePipeline } from "../../support/harness.ts";

const pipeline = usePipeline();
let call: Invoke;
let clock: ReturnType<typeof fixedClock>;

beforeEach(async () => {
  ({ call, clock } = await freshApp(pipeline));
  await call({
    method: "POST",
    path: "/api/v2/events",
    body: { name: "Contact Created", sample_payload: {} },
  });
});

const subscription = {
  url: "https://example.com/hooks",
  events: ["contact_created", "workflow.errored"],
  name: "CRM sync",
  linked_account_ids: ["acme"],
  filter: { address: { pincode: [560103] } },
};
const create = (body: unknown = subscription) =>
  call({ method: "POST", path: "/api/v2/webhooks", body });

describe("POST /api/v2/webhooks", () => {
  it("creates a subscription and shows its secret once in the answer", async () => {
    const response = await create();
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      id: expect.stringMatching(/^sub_[0-9A-Z]{26}$/),
      url: "https://example.com/hooks",
      events: ["contact_created", "workflow.errored"],
      name: "CRM sync",
      description: null,
      linked_account_ids: ["acme"],
      filter: { address: { pincode: [560103] } },
      enabled: true,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    expect(Buffer.from(response.body.secret.slice(6), "base64")).toHaveLength(32);
  });

  it("keeps the secret out of GET and list answers", async () => {
    const { body } = await create();
    const one = await call({ method: "GET", path: `/api/v2/webhooks/${body.id}` });
    const list = await call({ method: "GET", path: "/api/v2/webhooks" });
    expect(one.body.secret).toBeUndefined();
    expect(one.body.secrets).toBeUndefined();
    expect(JSON.stringify(list.body)).not.toContain("whsec_");
  });

  it("accepts * and platform event types", async () => {
    const response = await create({
      url: "https://example.com/all",
      events: ["*", "delivery.dead_lettered"],
    });
    expect(response.status).toBe(201);
  });

  it.each([
    [{ ...subscription, events: ["nope"] }, 'events[0]: no event with slug "nope"'],
    [{ ...subscription, events: [] }, "events must hold at least 1"],
    [{ ...subscription, url: "not a url" }, "url must be an absolute http(s) URL"],
    [{ ...subscription, url: "http://example.com/hooks" }, "https"],
    [{ ...subscription, url: "https://127.0.0.1/hooks" }, "non-global address"],
    [{ ...subscription, url: "https://2130706433/hooks" }, "non-global address"],
    [{ ...subscription, url: "https://[::ffff:169.254.169.254]/" }, "non-global address"],
    [{ ...subscription, url: "https://hooks.internal/x" }, "non-global address (10.0.0.7)"],
    [{ ...subscription, filter: { state: "active" } }, "filter.state"],
    [{ ...subscription, filter: { amount: [{ numeric: ["!", 1] }] } }, "filter.amount"],
    [{ ...subscription, secret: "whsec_x" }, '"secret"'],
    [{ ...subscription, linked_account_ids: [""] }, "linked_account_ids[0]"],
  ])("refuses %j with a 400 naming the problem, storing nothing", async (body, message) => {
    const response = await create(body);
    expect(response.status).toBe(400);
    expect(response.body.message).toContain(message);
    expect(await pipeline.table.items("subscription")).toEqual([]);
  });
});

describe("filter nesting (at most 32 levels)", () => {
  const head = `{"url":"https://example.com/hooks","events":["contact_created"]`;
  const deepOr = (levels: number) =>
    `${'{"$or":[{"a":[1]},'.repeat(levels)}{"b":[2]}${"]}".repeat(levels)}`;

  it.each([
    ["5,000 levels of objects", `${head},"filter":${deepObjects(5_000)}}`, "nested deeper than 32"],
    ["5,000 levels of $or", `${head},"filter":${deepOr(5_000)}}`, "nested deeper than 32"],
    ["50,000 nested arrays", `${head},"filter":{"a":${deepArrays(50_000)}}}`, "filter.a must be"],
  ])("refuses a filter of %s with a 400, storing nothing", async (_, body, message) => {
    const response = await create(body);
    expect(response.status).toBe(400);
    expect(response.body.message).toContain(message);
    expect(await pipeline.table.items("subscription")).toEqual([]);
  });

  it("refuses a PATCH whose filter nests 5,000 levels deep", async () => {
    const { body } = await create();
    const response = await call({
      method: "PATCH",
      path: `/api/v2/webhooks/${body.id}`,
      body: `{"filter":${deepObjects(5_000)}}`,
    });
    expect(response.status).toBe(400);
    expect(response.body.message).toContain("nested deeper than 32 levels");
  });
});

describe("PATCH and DELETE /api/v2/webhooks/{id}", () => {
  it("changes fields, clears optional ones with null, and keeps the secret", async () => {
    const { body } = await create();
    const patched = await call({
      method: "PATCH",
      path: `/api/v2/webhooks/${body.id}`,
      body: { enabled: false, filter: null, linked_account_ids: null, name: "renamed" },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      enabled: false,
      filter: null,
      linked_account_ids: null,
      name: "renamed",
      url: subscription.url,
    });
    const secret = await call({ method: "GET", path: `/api/v2/webhooks/${body.id}/secret` });
    expect(secret.body.secret).toBe(body.secret);
  });

  it("checks a new URL like a new subscription's", async () => {
    const { body } = await create();
    const patched = await call({
      method: "PATCH",
      path: `/api/v2/webhooks/${body.id}`,
      body: { url: "https://10.1.2.3/hook" },
    });
    expect(patched.status).toBe(400);
  });

  it("deletes with 204, then answers 404", async () => {
    const { body } = await create();
    expect((await call({ method: "DELETE", path: `/api/v2/webhooks/${body.id}` })).status).toBe(
      204,
    );
    expect((await call({ method: "GET", path: `/api/v2/webhooks/${body.id}` })).status).toBe(404);
  });

  it("answers 404 for a malformed id", async () => {
    expect((await call({ method: "GET", path: "/api/v2/webhooks/abc" })).status).toBe(404);
  });
});

describe("secrets", () => {
  it("rotates: answers a new secret and keeps the old one live for 24 hours", async () => {
    const { body } = await create();
    const rotated = await call({
      method: "POST",
      path: `/api/v2/webhooks/${body.id}/rotate-secret`,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(body.secret);
    const current = await call({ method: "GET", path: `/api/v2/webhooks/${body.id}/secret` });
    expect(current.body.secret).toBe(rotated.body.secret);
    const [stored] = await pipeline.table.items("subscription");
    expect(stored?.secrets).toEqual([
      expect.objectContaining({ secret: rotated.body.secret, expires_at: null }),
      expect.objectContaining({ secret: body.secret, expires_at: "2026-11-24T01:28:00.000Z" }),
    ]);
  });

  it("drops a secret whose overlap has ended at the next rotation", async () => {
    const { body } = await create();
    await call({ method: "POST", path: `/api/v2/webhooks/${body.id}/rotate-secret` });
    clock.set("2026-11-25T00:00:00.000Z");
    const second = await call({
      method: "POST",
      path: `/api/v2/webhooks/${body.id}/rotate-secret`,
    });
    const [stored] = await pipeline.table.items("subscription");
    const secrets = stored?.secrets as { secret: string }[];
    expect(secrets).toHaveLength(2);
    expect(secrets[0]?.secret).toBe(second.body.secret);
    expect(secrets.map((s) => s.secret)).not.toContain(body.secret);
  });
});

describe("GET /api/v2/webhooks/{id}/deliveries", () => {
  it("answers an empty page for a new subscription and 404 for an unknown one", async () => {
    const { body } = await create();
    const list = await call({ method: "GET", path: `/api/v2/webhooks/${body.id}/deliveries` });
    expect(list.body).toEqual({ data: [], next_cursor: null });
    const missing = await call({
      method: "GET",
      path: "/api/v2/webhooks/sub_01JD0000000000000000000000/deliveries",
    });
    expect(missing.status).toBe(404);
  });
});
