import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { eventually, type LocalRuntime, useLocalRuntimes } from "../support/local-runtime.ts";
import { useReceiver } from "../support/receiver.ts";

// Fast retries (0.5 s, 2 s, 8 s after rounding up for SQS) and a short delivery timeout keep
// the whole path real but quick.
const FAST = {
  SWITCHYARD_RETRY_BASE_SECONDS: "0.5",
  SWITCHYARD_DELIVERY_TIMEOUT_SECONDS: "2",
};

const { newDataDir, start } = useLocalRuntimes(FAST);

const receiver = useReceiver();

/** An event definition and a subscription of the receiver to it; answers the secret. */
async function subscribeReceiver(runtime: LocalRuntime): Promise<{ id: string; secret: string }> {
  const definition = await runtime.call("POST", "/api/v2/events", {
    name: "Contact Created",
    sample_payload: { first_name: "Mark" },
  });
  expect(definition.status).toBe(201);
  const webhook = await runtime.call("POST", "/api/v2/webhooks", {
    url: receiver.url,
    events: ["contact_created"],
  });
  expect(webhook.status).toBe(201);
  return webhook.body;
}

const trigger = (runtime: LocalRuntime, firstName: string) =>
  runtime.call(
    "POST",
    "/api/v2/public/event/contact_created",
    { payload: { first_name: firstName } },
    { linked_account_id: "acme" },
  );

/** Every file under `dir`, however deep. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());

const receivedEventIds = () =>
  new Set(receiver.requests.map((request) => JSON.parse(request.body).event_id as string));

describe("npm start", () => {
  it("takes a batch of events: the accepted ones are delivered, a refused one is not", async () => {
    receiver.requests.length = 0;
    receiver.respond = { status: 200, body: "ok" };
    const runtime = await start(newDataDir());
    await subscribeReceiver(runtime);

    const answer = await runtime.call(
      "POST",
      "/api/v2/public/events/batch",
      {
        events: [
          { event: "contact_created", payload: { first_name: "Ada" } },
          { event: "no_such_event", payload: {} },
          {
            event: "contact_created",
            payload: { first_name: "Grace" },
            linked_account_id: "globex",
          },
        ],
      },
      { linked_account_id: "acme" },
    );

    expect(answer.status).toBe(200);
    const [ada, refused, grace] = answer.body.data;
    expect(refused.error).toMatchObject({ status_code: 400, error_type: "BAD_REQUEST" });
    await eventually(async () => receiver.requests.length >= 2, 10_000, "both webhooks");
    expect(receivedEventIds()).toEqual(new Set([ada.event_id, grace.event_id]));
    const events = (await runtime.call("GET", "/api/v2/deliveries?limit=10")).body.data;
    expect(events).toHaveLength(2);
  });

  it("serves the API, answers /health, and delivers a triggered event as a verified webhook", async () => {
    receiver.requests.length = 0;
    receiver.respond = { status: 200, body: "ok" };
    const runtime = await start(newDataDir());
    const health = await fetch(`${runtime.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });

    const { secret } = await subscribeReceiver(runtime);
    const accepted = await trigger(runtime, "Ada");
    expect(accepted.status).toBe(200);

    const [request] = await eventually(
      async () => receiver.requests.length > 0 && receiver.requests,
      10_000,
      "the webhook",
    );
    const headers = request?.headers as Record<string, string>;
    const payload = new Webhook(secret).verify(request?.body ?? "", headers) as Record<
      string,
      unknown
    >;
    expect(payload).toMatchObject({
      type: "contact_created",
      event_id: accepted.body.event_id,
      linked_account_id: "acme",
      data: { first_name: "Ada" },
    });
    const deliveries = await eventually(
      async () => {
        const list = await runtime.call(
          "GET",
          `/api/v2/deliveries?event_id=${accepted.body.event_id}`,
        );
        return list.body.data[0]?.status === "succeeded" && list.body.data;
      },
      5_000,
      "the delivery to succeed",
    );
    expect(deliveries[0]).toMatchObject({ attempt_count: 1, last_attempt: { status_code: 200 } });
  });

  describe("a failing receiver, then a restart", () => {
    let dataDir: string;
    let deadId: string;
    let apiKey: string;

    it("is retried with growing gaps, and the fourth failure is dead-lettered and listed in /api/v2/dlq", async () => {
      receiver.requests.length = 0;
      receiver.respond = { status: 500, body: "down" };
      dataDir = newDataDir();
      const runtime = await start(dataDir);
      apiKey = runtime.apiKey;
      await subscribeReceiver(runtime);
      const accepted = await trigger(runtime, "Grace");

      const dead = await eventually(
        async () => {
          const dlq = await runtime.call("GET", "/api/v2/dlq");
          return dlq.body.data.length > 0 && dlq.body.data;
        },
        30_000,
        "the dead letter",
      );
      expect(dead[0]).toMatchObject({
        event_id: accepted.body.event_id,
        status: "dead_lettered",
        attempt_count: 4,
      });
      deadId = dead[0].id;

      const times = receiver.requests.map((request) => request.at);
      expect(times).toHaveLength(4);
      const gaps = times.slice(1).map((time, index) => time - (times[index] ?? 0));
      // 0.5 s × 4^(n-1) ±10 %, rounded up to whole seconds: about 1 s, 2 s, 8 s.
      expect(gaps[0]).toBeGreaterThan(700);
      expect(gaps[1]).toBeGreaterThan(gaps[0] ?? 0);
      expect(gaps[2]).toBeGreaterThan(gaps[1] ?? 0);
      expect(receiver.requests.map((request) => request.headers["x-switchyard-attempt"])).toEqual([
        "1",
        "2",
        "3",
        "4",
      ]);
      const detail = await runtime.call("GET", `/api/v2/deliveries/${deadId}`);
      expect(
        detail.body.attempts.map((attempt: { status_code: number }) => attempt.status_code),
      ).toEqual([500, 500, 500, 500]);

      const stoppedIn = await runtime.stop("SIGTERM");
      expect(stoppedIn).toBeLessThan(5_000);
      expect(runtime.output()).toContain("Stopped.");
    }, 60_000);

    it("keeps the key, definitions, subscriptions and dead letters after a restart on the same data dir", async () => {
      expect(deadId).toBeDefined();
      const runtime = await start(dataDir);
      expect(runtime.apiKey).toBe(apiKey);
      expect(runtime.output()).toContain("kept in");
      const definitions = await runtime.call("GET", "/api/v2/events");
      expect(definitions.body.data.map((d: { slug: string }) => d.slug)).toEqual([
        "contact_created",
      ]);
      const webhooks = await runtime.call("GET", "/api/v2/webhooks");
      expect(webhooks.body.data).toHaveLength(1);
      const dlq = await runtime.call("GET", "/api/v2/dlq");
      expect(dlq.body.data.map((d: { id: string }) => d.id)).toEqual([deadId]);
      const key = JSON.parse(readFileSync(join(dataDir, "local-app.json"), "utf8"));
      expect(key.api_key).toBe(apiKey);
    }, 30_000);
  });

  it("keeps signing secrets sealed on disk, and opens them again after a restart", async () => {
    receiver.requests.length = 0;
    receiver.respond = { status: 200, body: "ok" };
    const dataDir = newDataDir();
    const first = await start(dataDir);
    const { id, secret: created } = await subscribeReceiver(first);
    const rotated = (await first.call("POST", `/api/v2/webhooks/${id}/rotate-secret`)).body.secret;
    expect((await first.call("PATCH", `/api/v2/webhooks/${id}`, { name: "CRM" })).status).toBe(200);
    await trigger(first, "Ada");
    const [request] = await eventually(
      async () => receiver.requests.length > 0 && receiver.requests,
      10_000,
      "the webhook",
    );
    const headers = request?.headers as Record<string, string>;
    for (const secret of [created, rotated]) {
      expect(() => new Webhook(secret).verify(request?.body ?? "", headers)).not.toThrow();
    }
    await first.stop("SIGTERM");

    const keyFile = join(dataDir, "secrets.key");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const files = filesUnder(dataDir);
    expect(files.length).toBeGreaterThan(3); // the table, the queues, the app and the key
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const secret of [created, rotated]) {
        const keyPart = secret.slice("whsec_".length);
        expect(bytes.includes(secret), `${file} holds a secret`).toBe(false);
        expect(bytes.includes(keyPart), `${file} holds a secret's key`).toBe(false);
        expect(bytes.includes(Buffer.from(keyPart, "base64")), `${file} holds raw key`).toBe(false);
      }
    }

    receiver.requests.length = 0;
    const second = await start(dataDir);
    const shown = await second.call("GET", `/api/v2/webhooks/${id}/secret`);
    expect(shown.body).toEqual({ secret: rotated });
    await trigger(second, "Grace");
    const [after] = await eventually(
      async () => receiver.requests.length > 0 && receiver.requests,
      10_000,
      "the webhook after the restart",
    );
    expect(() =>
      new Webhook(rotated).verify(after?.body ?? "", after?.headers as Record<string, string>),
    ).not.toThrow();
  }, 60_000);

  it("loses no accepted event when it is killed mid-delivery", async () => {
    receiver.requests.length = 0;
    receiver.respond = "hang";
    const dataDir = newDataDir();
    const first = await start(dataDir);
    await subscribeReceiver(first);
    const accepted: string[] = [];
    for (const name of ["a", "b", "c", "d", "e"]) {
      const response = await trigger(first, name);
      expect(response.status).toBe(200);
      accepted.push(response.body.event_id);
    }
    await eventually(async () => receiver.requests.length > 0, 10_000, "a delivery in flight");
    await first.stop("SIGKILL");

    receiver.respond = { status: 200, body: "ok" };
    const second = await start(dataDir);
    await eventually(
      async () => accepted.every((id) => receivedEventIds().has(id)),
      40_000,
      "every event at the receiver",
    );
    for (const id of accepted) {
      const list = await eventually(
        async () => {
          const response = await second.call("GET", `/api/v2/deliveries?event_id=${id}`);
          return response.body.data[0]?.status === "succeeded" && response.body.data;
        },
        20_000,
        `the delivery of ${id}`,
      );
      expect(list).toHaveLength(1);
    }
  }, 90_000);
});
