import { beforeEach, describe, expect, it } from "vitest";
import { deepArrays, deepObjects } from "../../support/deep-json.ts";
import { freshApp, type Invoke, usePipeline } from "../../support/harness.ts";

const pipeline = usePipeline();
let call: Invoke;

beforeEach(async () => {
  ({ call } = await freshApp(pipeline));
});

const sample = {
  first_name: "Mark",
  employee_id: 221,
  is_new: false,
  owner: null,
  address: { house_no: "221", pincode: 560103 },
  tags: ["vip"],
  notes: [],
  extra: {},
};

const create = (body: unknown) => call({ method: "POST", path: "/api/v2/events", body });

describe("POST /api/v2/events", () => {
  it("creates a definition with a derived slug and its trigger variables", async () => {
    const response = await create({ name: "Contact Created", sample_payload: sample });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      slug: "contact_created",
      name: "Contact Created",
      description: null,
      strict: false,
      sample_payload: sample,
      created_at: "2026-11-23T01:28:00.000Z",
    });
    expect(response.body.variables).toEqual([
      { path: "payload.first_name", type: "string" },
      { path: "payload.employee_id", type: "number" },
      { path: "payload.is_new", type: "boolean" },
      { path: "payload.owner", type: "null" },
      { path: "payload.address.house_no", type: "string" },
      { path: "payload.address.pincode", type: "number" },
      { path: "payload.tags[]", type: "string" },
      { path: "payload.notes[]", type: "array" },
      { path: "payload.extra", type: "object" },
    ]);
  });

  it("answers 409 for a slug the app has already", async () => {
    await create({ name: "Contact Created", sample_payload: {} });
    const again = await create({ name: "contact created!", sample_payload: {} });
    expect(again.status).toBe(409);
    expect(again.body.message).toContain("contact_created");
  });

  it("lets a slug be reused after a delete", async () => {
    await create({ name: "Contact Created", sample_payload: {} });
    await call({ method: "DELETE", path: "/api/v2/events/contact_created" });
    expect((await create({ name: "Contact Created", sample_payload: {} })).status).toBe(201);
  });

  it("publishes event_definition.changed for create, update and delete", async () => {
    await create({ name: "Contact Created", sample_payload: {} });
    await call({ method: "PATCH", path: "/api/v2/events/contact_created", body: { strict: true } });
    await call({ method: "DELETE", path: "/api/v2/events/contact_created" });
    expect(pipeline.messaging.publishedEvents().map((event) => event.payload)).toEqual([
      { slug: "contact_created", change: "created" },
      { slug: "contact_created", change: "updated" },
      { slug: "contact_created", change: "deleted" },
    ]);
  });

  it.each([
    [{ name: "!!!", sample_payload: {} }, "gives no slug"],
    [{ name: "X", slug: "Bad Slug", sample_payload: {} }, "slug must match"],
    [{ name: "X" }, "sample_payload is required"],
    [{ name: "X", sample_payload: [] }, "sample_payload must be an object"],
    [{ name: 7, sample_payload: {} }, "name must be a string"],
    [{ name: "x".repeat(201), sample_payload: {} }, "name must be at most 200"],
    [{ name: "X", sample_payload: {}, colour: "red" }, '"colour"'],
  ])("refuses %j with a 400 that says what is wrong", async (body, message) => {
    const response = await create(body);
    expect(response.status).toBe(400);
    expect(response.body.message).toContain(message);
    expect(await pipeline.table.items("definition")).toEqual([]);
  });
});

describe("sample_payload nesting (SPEC §2: at most 32 levels)", () => {
  const limit = "sample_payload nests deeper than 32 levels";

  it.each([
    ["33 levels of objects", `{"name":"X","sample_payload":${deepObjects(33)}}`],
    ["5,000 levels of objects", `{"name":"X","sample_payload":${deepObjects(5_000)}}`],
    ["50,000 levels of arrays", `{"name":"X","sample_payload":{"list":${deepArrays(50_000)}}}`],
  ])("refuses a sample of %s with a 400 naming the limit", async (_, body) => {
    const response = await create(body);
    expect(response.status).toBe(400);
    expect(response.body.message).toBe(limit);
    expect(await pipeline.table.items("definition")).toEqual([]);
  });

  it("accepts a sample nested exactly 32 levels deep", async () => {
    const response = await create(`{"name":"X","sample_payload":${deepObjects(32)}}`);
    expect(response.status).toBe(201);
  });

  it("refuses a PATCH whose sample nests 5,000 levels deep, changing nothing", async () => {
    await create({ name: "X", sample_payload: { a: 1 } });
    const response = await call({
      method: "PATCH",
      path: "/api/v2/events/x",
      body: `{"sample_payload":${deepObjects(5_000)}}`,
    });
    expect(response.status).toBe(400);
    expect(response.body.message).toBe(limit);
    const [stored] = await pipeline.table.items("definition");
    expect(stored?.sample_payload).toEqual({ a: 1 });
  });
});

describe("GET, PATCH, DELETE /api/v2/events/{slug}", () => {
  beforeEach(async () => {
    await create({ name: "Contact Created", sample_payload: sample, description: "new contact" });
  });

  it("reads a definition by slug", async () => {
    const response = await call({ method: "GET", path: "/api/v2/events/contact_created" });
    expect(response.status).toBe(200);
    expect(response.body.description).toBe("new contact");
  });

  it("updates name, description, sample and strictness but never the slug", async () => {
    const patched = await call({
      method: "PATCH",
      path: "/api/v2/events/contact_created",
      body: { name: "Contact Added", sample_payload: { id: 1 }, strict: true },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      slug: "contact_created",
      name: "Contact Added",
      strict: true,
      variables: [{ path: "payload.id", type: "number" }],
    });
    const slugChange = await call({
      method: "PATCH",
      path: "/api/v2/events/contact_created",
      body: { slug: "other" },
    });
    expect(slugChange.status).toBe(400);
    expect(slugChange.body.message).toBe("slug cannot be changed");
  });

  it("answers 404 for a slug that does not exist, on every method", async () => {
    for (const method of ["GET", "PATCH", "DELETE"]) {
      const response = await call({
        method,
        path: "/api/v2/events/nope",
        ...(method === "PATCH" && { body: { name: "x" } }),
      });
      expect(response.status, method).toBe(404);
    }
  });

  it("deletes with 204 and then answers 404", async () => {
    const deleted = await call({ method: "DELETE", path: "/api/v2/events/contact_created" });
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
    expect((await call({ method: "GET", path: "/api/v2/events/contact_created" })).status).toBe(
      404,
    );
  });
});

describe("GET /api/v2/events", () => {
  it("lists newest first, pages with a cursor and clamps the limit", async () => {
    const clockless = ["a", "b", "c", "d", "e"];
    for (const name of clockless) await create({ name, sample_payload: {} });
    const first = await call({ method: "GET", path: "/api/v2/events", query: { limit: "2" } });
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const rest = await call({
      method: "GET",
      path: "/api/v2/events",
      query: { limit: "500", cursor: first.body.next_cursor },
    });
    expect(rest.body.data).toHaveLength(3);
    expect(rest.body.next_cursor).toBeNull();
    const slugs = [...first.body.data, ...rest.body.data].map((d: { slug: string }) => d.slug);
    expect(new Set(slugs).size).toBe(5);
  });

  it("refuses a limit below 1 and a cursor it never gave", async () => {
    const zero = await call({ method: "GET", path: "/api/v2/events", query: { limit: "0" } });
    expect(zero.status).toBe(400);
    const bogus = await call({ method: "GET", path: "/api/v2/events", query: { cursor: "abc" } });
    expect(bogus.status).toBe(400);
  });
});

describe("routing", () => {
  it("answers 404 for an unknown route and 405 for a known path with another method", async () => {
    const unknown = await call({ method: "GET", path: "/api/v2/nothing-here" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error_type).toBe("NOT_FOUND");
    const wrongMethod = await call({ method: "PUT", path: "/api/v2/events" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body.error_type).toBe("METHOD_NOT_ALLOWED");
  });

  it("puts x-request-id on every answer", async () => {
    const response = await call({ method: "GET", path: "/api/v2/events" });
    expect(response.headers["x-request-id"]).toEqual(expect.any(String));
  });
});

describe("GET /health", () => {
  it("answers ok without an API key", async () => {
    const response = await call({ method: "GET", path: "/health", apiKey: null });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: "ok" });
  });
});
