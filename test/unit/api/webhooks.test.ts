import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { beforeEach, describe, expect, it } from "vitest";
import { aesKeyWrapper } from "../../../functions/adapters/secrets/aes-key-wrapper.ts";
import { createEnvelopeVault } from "../../../functions/adapters/secrets/envelope-vault.ts";
import type { Subscription } from "../../../functions/core/model.ts";
import type { Store } from "../../../functions/core/ports.ts";
import { openSecret } from "../../../functions/core/secrets.ts";
import { deepArrays, deepObjects } from "../../support/deep-json.ts";
import { TEST_SECRET, testSubscription } from "../../support/events.ts";
import {
  apiClient,
  type fixedClock,
  freshApp,
  type Invoke,
  testVault,
  usePipeline,
} from "../../support/harness.ts";

const pipeline = usePipeline();
let call: Invoke;
let clock: ReturnType<typeof fixedClock>;
let store: Store;
let appId: string;
let apiKey: string;

beforeEach(async () => {
  ({ call, clock, store, appId, apiKey } = await freshApp(pipeline));
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
      {
        sealed: expect.objectContaining({ v: 1 }),
        created_at: expect.any(String),
        expires_at: null,
      },
      {
        sealed: expect.objectContaining({ v: 1 }),
        created_at: expect.any(String),
        expires_at: "2026-11-24T01:28:00.000Z",
      },
    ]);
    expect(JSON.stringify(stored)).not.toContain("whsec_");
  });

  it("drops a secret whose overlap has ended at the next rotation", async () => {
    const { body } = await create();
    const first = await call({ method: "POST", path: `/api/v2/webhooks/${body.id}/rotate-secret` });
    clock.set("2026-11-25T00:00:00.000Z");
    const second = await call({
      method: "POST",
      path: `/api/v2/webhooks/${body.id}/rotate-secret`,
    });
    expect(await storedSecrets()).toEqual([
      [second.body.secret, null],
      [first.body.secret, "2026-11-26T00:00:00.000Z"],
    ]);
  });
});

describe("secrets at rest", () => {
  it("stores a new subscription's secret sealed: its item holds no whsec_ nor the key", async () => {
    const { body } = await create();
    const items = JSON.stringify(await pipeline.table.items());
    expect(items).not.toContain("whsec_");
    expect(items).not.toContain(body.secret.slice("whsec_".length));
    const shown = await call({ method: "GET", path: `/api/v2/webhooks/${body.id}/secret` });
    expect(shown.body).toEqual({ secret: body.secret });
  });

  it("shows and keeps a secret an older version stored in clear", async () => {
    const id = await putLegacyItem();
    const shown = await call({ method: "GET", path: `/api/v2/webhooks/${id}/secret` });
    expect(shown.body).toEqual({ secret: TEST_SECRET });
    const one = await call({ method: "GET", path: `/api/v2/webhooks/${id}` });
    expect(JSON.stringify(one.body)).not.toContain("whsec_");
  });

  it("seals a secret stored in clear when a PATCH rewrites the subscription", async () => {
    const id = await putLegacyItem();
    const patched = await call({
      method: "PATCH",
      path: `/api/v2/webhooks/${id}`,
      body: { name: "renamed" },
    });
    expect(patched.status).toBe(200);
    expect(JSON.stringify(await pipeline.table.items("subscription"))).not.toContain("whsec_");
    expect(await storedSecrets()).toEqual([[TEST_SECRET, null]]);
  });

  it("seals the secret kept for the overlap when a rotation replaces one stored in clear", async () => {
    const id = await putLegacyItem();
    const rotated = await call({ method: "POST", path: `/api/v2/webhooks/${id}/rotate-secret` });
    expect(JSON.stringify(await pipeline.table.items("subscription"))).not.toContain("whsec_");
    expect(await storedSecrets()).toEqual([
      [rotated.body.secret, null],
      [TEST_SECRET, "2026-11-24T01:28:00.000Z"],
    ]);
  });

  it("answers 409 for a secret this deployment's key cannot open, and a rotation mends it", async () => {
    const lostKey = createEnvelopeVault(aesKeyWrapper(Buffer.alloc(32, 9)));
    const id = await putLegacyItem({
      secrets: [{ sealed: await lostKey.seal(TEST_SECRET), created_at: "", expires_at: null }],
    });
    const shown = await call({ method: "GET", path: `/api/v2/webhooks/${id}/secret` });
    expect(shown.status).toBe(409);
    expect(shown.body.message).toContain("cannot be decrypted with this deployment's key");
    const rotated = await call({ method: "POST", path: `/api/v2/webhooks/${id}/rotate-secret` });
    expect(rotated.status).toBe(200);
    const after = await call({ method: "GET", path: `/api/v2/webhooks/${id}/secret` });
    expect(after.body).toEqual({ secret: rotated.body.secret });
  });
});

describe("a PATCH and a rotation at the same time", () => {
  /**
   * The app's store, but the next reads of a subscription each let `write` land between the
   * read and the write that follows it: another request's read-modify-write, interleaved.
   */
  function racing(writes: (() => Promise<unknown>)[]) {
    const raced: Store = {
      ...store,
      async getSubscription(app, id) {
        const read = await store.getSubscription(app, id);
        await writes.shift()?.();
        return read;
      },
    };
    return apiClient(raced, pipeline.messaging, clock, apiKey);
  }

  const rotate = (id: string) =>
    call({ method: "POST", path: `/api/v2/webhooks/${id}/rotate-secret` });

  it("a PATCH that read before a rotation landed keeps the rotated secret", async () => {
    const { body } = await create();
    let rotated: string | undefined;
    const patched = await racing([
      async () => {
        rotated = (await rotate(body.id)).body.secret;
      },
    ])({ method: "PATCH", path: `/api/v2/webhooks/${body.id}`, body: { name: "renamed" } });

    expect(patched.status).toBe(200);
    expect(patched.body.name).toBe("renamed");
    const shown = await call({ method: "GET", path: `/api/v2/webhooks/${body.id}/secret` });
    expect(shown.body.secret).toBe(rotated);
    expect(await storedSecrets()).toEqual([
      [rotated, null],
      [body.secret, "2026-11-24T01:28:00.000Z"],
    ]);
    const [item] = await pipeline.table.items("subscription");
    expect(item).toMatchObject({ name: "renamed", version: 3 });
  });

  it("a rotation that read before a PATCH landed keeps the PATCH", async () => {
    const { body } = await create();
    const rotated = await racing([
      () =>
        call({ method: "PATCH", path: `/api/v2/webhooks/${body.id}`, body: { enabled: false } }),
    ])({ method: "POST", path: `/api/v2/webhooks/${body.id}/rotate-secret` });

    expect(rotated.status).toBe(200);
    const one = await call({ method: "GET", path: `/api/v2/webhooks/${body.id}` });
    expect(one.body.enabled).toBe(false);
    const shown = await call({ method: "GET", path: `/api/v2/webhooks/${body.id}/secret` });
    expect(shown.body.secret).toBe(rotated.body.secret);
  });

  it("two rotations at once both answer a secret that signs: the later one's and its overlap", async () => {
    const { body } = await create();
    let first: string | undefined;
    const second = await racing([
      async () => {
        first = (await rotate(body.id)).body.secret;
      },
    ])({ method: "POST", path: `/api/v2/webhooks/${body.id}/rotate-secret` });
    expect(await storedSecrets()).toEqual([
      [second.body.secret, null],
      [first, "2026-11-24T01:28:00.000Z"],
    ]);
  });

  it("answers 409 after losing three races in a row, leaving the other writes as they are", async () => {
    const { body } = await create();
    const rotations: string[] = [];
    const rotateBetween = async () => {
      rotations.push((await rotate(body.id)).body.secret);
    };
    const patched = await racing([rotateBetween, rotateBetween, rotateBetween])({
      method: "PATCH",
      path: `/api/v2/webhooks/${body.id}`,
      body: { name: "renamed" },
    });

    expect(patched.status).toBe(409);
    expect(patched.body).toMatchObject({
      error_type: "CONFLICT",
      message: `webhook "${body.id}" is being changed by another request: try again`,
    });
    const one = await call({ method: "GET", path: `/api/v2/webhooks/${body.id}` });
    expect(one.body.name).toBe("CRM sync");
    const shown = await call({ method: "GET", path: `/api/v2/webhooks/${body.id}/secret` });
    expect(shown.body.secret).toBe(rotations[2]);
  });

  it("answers 404 when the subscription was deleted between the read and the write", async () => {
    const { body } = await create();
    const patched = await racing([
      () => call({ method: "DELETE", path: `/api/v2/webhooks/${body.id}` }),
    ])({ method: "PATCH", path: `/api/v2/webhooks/${body.id}`, body: { name: "renamed" } });
    expect(patched.status).toBe(404);
    expect(await pipeline.table.items("subscription")).toEqual([]);
  });
});

/** The stored secrets of the only subscription, opened: [secret, expires_at], newest first. */
async function storedSecrets() {
  const [item] = await pipeline.table.items("subscription");
  const secrets = (item?.secrets ?? []) as Subscription["secrets"];
  return Promise.all(
    secrets.map(async (secret) => [await openSecret(testVault, secret), secret.expires_at]),
  );
}

/** A subscription item as versions before sealing wrote it: secret in clear, no version. */
async function putLegacyItem(overrides: Partial<Subscription> = {}) {
  const subscription = testSubscription({
    secrets: [{ secret: TEST_SECRET, created_at: "", expires_at: null }],
    ...overrides,
  });
  await pipeline.table.doc.send(
    new PutCommand({
      TableName: pipeline.table.tableName(),
      Item: {
        PK: `APP#${appId}`,
        SK: `SUB#${subscription.id}`,
        kind: "subscription",
        ...subscription,
      },
    }),
  );
  return subscription.id;
}

describe("a paused subscription", () => {
  it("shows paused_until while it is paused, and null once it has resumed", async () => {
    const { body } = await create();
    const get = () => call({ method: "GET", path: `/api/v2/webhooks/${body.id}` });
    expect((await get()).body.paused_until).toBeNull();
    await store.pause(appId, body.id, "2026-11-23T02:00:30.000Z");
    expect((await get()).body.paused_until).toBe("2026-11-23T02:00:30.000Z");
    await store.resume(appId, body.id);
    expect((await get()).body.paused_until).toBeNull();
  });

  it("leaves no health record behind when it is deleted", async () => {
    const { body } = await create();
    await store.recordFailure(appId, body.id, "2026-11-23T02:00:00.000Z");
    await call({ method: "DELETE", path: `/api/v2/webhooks/${body.id}` });
    expect(await pipeline.table.items("subscription_health")).toEqual([]);
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

describe("custom headers (SPEC §3.1)", () => {
  it("keeps them with lower-case names, shows them, replaces them by PATCH and clears them with null", async () => {
    const { body } = await create({
      ...subscription,
      headers: { "X-Tenant": "acme", Authorization: "Bearer t0k3n" },
    });
    expect(body.headers).toEqual({ "x-tenant": "acme", authorization: "Bearer t0k3n" });
    const shown = await call({ method: "GET", path: `/api/v2/webhooks/${body.id}` });
    expect(shown.body.headers).toEqual(body.headers);

    const replaced = await call({
      method: "PATCH",
      path: `/api/v2/webhooks/${body.id}`,
      body: { headers: { "x-route": "eu" } },
    });
    expect(replaced.body.headers).toEqual({ "x-route": "eu" });
    const untouched = await call({
      method: "PATCH",
      path: `/api/v2/webhooks/${body.id}`,
      body: { name: "renamed" },
    });
    expect(untouched.body.headers).toEqual({ "x-route": "eu" });
    const cleared = await call({
      method: "PATCH",
      path: `/api/v2/webhooks/${body.id}`,
      body: { headers: null },
    });
    expect(cleared.body.headers).toEqual({});
    expect((await create()).body.headers).toEqual({});
  });

  it("refuses Switchyard's own headers and bad ones with a 400 naming the header, storing nothing", async () => {
    const cases: [Record<string, string>, string][] = [
      [
        { "Webhook-Signature": "v1,forged" },
        "headers.Webhook-Signature: Switchyard sets this header itself",
      ],
      [
        { "x-switchyard-attempt": "9" },
        "headers.x-switchyard-attempt: Switchyard sets this header itself",
      ],
      [
        { "Content-Type": "text/plain" },
        "headers.Content-Type: Switchyard sets this header itself",
      ],
      [{ "user-agent": "me" }, "headers.user-agent: Switchyard sets this header itself"],
      [{ "bad name": "x" }, "headers.bad name: not an HTTP header name"],
      [{ Host: "internal.example" }, "headers.Host: HTTP sets this header itself"],
      [{ "transfer-encoding": "chunked" }, "headers.transfer-encoding: HTTP sets this header"],
      [
        { "x-a": "one\r\nx-injected: two" },
        "headers.x-a: holds a character no HTTP header may hold",
      ],
      [{ "x-a": "x".repeat(4097) }, "headers.x-a must be at most 4096 bytes long"],
      [{ "x-a": "1", "X-A": "2" }, "headers.X-A: given twice"],
      [
        Object.fromEntries(Array.from({ length: 21 }, (_, n) => [`x-h${n}`, "v"])),
        "headers must hold at most 20 headers",
      ],
    ];
    const existing = await create();
    for (const [headers, message] of cases) {
      const created = await create({ ...subscription, headers });
      expect([created.status, created.body.message]).toEqual([
        400,
        expect.stringContaining(message),
      ]);
      const patched = await call({
        method: "PATCH",
        path: `/api/v2/webhooks/${existing.body.id}`,
        body: { headers },
      });
      expect(patched.status).toBe(400);
    }
    const list = await call({ method: "GET", path: "/api/v2/webhooks" });
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0].headers).toEqual({});
  });
});

describe("a subscription Switchyard disabled (SPEC §3.1)", () => {
  it("shows why and since when; enabling it again by PATCH clears both and its failure streak", async () => {
    const { body } = await create();
    await store.recordFailure(appId, body.id, "2026-11-18T09:00:00.000Z");
    const failing = await call({ method: "GET", path: `/api/v2/webhooks/${body.id}` });
    expect(failing.body).toMatchObject({
      enabled: true,
      disabled_reason: null,
      failing_since: "2026-11-18T09:00:00.000Z",
    });
    const current = (await store.getSubscription(appId, body.id)) as Subscription;
    await store.replaceSubscription(appId, {
      ...current,
      enabled: false,
      disabled_reason: "failing",
      failing_since: "2026-11-18T09:00:00.000Z",
      disabled_by: "msg_01JD0000000000000000000000AAAAAAAA",
    });
    const listed = await call({ method: "GET", path: "/api/v2/webhooks" });
    expect(listed.body.data[0]).toMatchObject({
      enabled: false,
      disabled_reason: "failing",
      failing_since: "2026-11-18T09:00:00.000Z",
    });
    expect(Object.keys(listed.body.data[0])).not.toContain("disabled_by");

    const enabled = await call({
      method: "PATCH",
      path: `/api/v2/webhooks/${body.id}`,
      body: { enabled: true },
    });

    expect(enabled.body).toMatchObject({
      enabled: true,
      disabled_reason: null,
      failing_since: null,
    });
    const shown = await call({ method: "GET", path: `/api/v2/webhooks/${body.id}` });
    expect(shown.body).toMatchObject({ enabled: true, disabled_reason: null, failing_since: null });
    expect(await store.getHealth(appId, body.id)).toMatchObject({
      failures: 0,
      failing_since: null,
    });
  });
});

describe("rate limits (SPEC §3.1)", () => {
  it("takes a whole number of requests a second from 1 to 500, changed by PATCH and cleared with null", async () => {
    const { body } = await create({ ...subscription, rate_limit: 5 });
    expect(body.rate_limit).toBe(5);
    expect((await create()).body.rate_limit).toBeNull();
    const path = `/api/v2/webhooks/${body.id}`;
    expect((await call({ method: "PATCH", path, body: { rate_limit: 500 } })).body.rate_limit).toBe(
      500,
    );
    expect(
      (await call({ method: "PATCH", path, body: { rate_limit: null } })).body.rate_limit,
    ).toBe(null);
    for (const rate of [0, 501, 2.5, "5"]) {
      const refused = await create({ ...subscription, rate_limit: rate });
      expect([rate, refused.status]).toEqual([rate, 400]);
    }
    expect((await create({ ...subscription, rate_limit: 0 })).body.message).toContain(
      "rate_limit must be a whole number of requests a second from 1 to 500",
    );
  });
});
