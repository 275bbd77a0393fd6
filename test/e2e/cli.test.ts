import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { eventually, useLocalRuntimes } from "../support/local-runtime.ts";
import { useReceiver } from "../support/receiver.ts";

const BIN = fileURLToPath(new URL("../../bin/switchyard.mjs", import.meta.url));
const { newDataDir, start } = useLocalRuntimes({
  SWITCHYARD_RETRY_BASE_SECONDS: "0.2",
  SWITCHYARD_DELIVERY_TIMEOUT_SECONDS: "1",
});

const receiver = useReceiver();

/**
 * Starts the CLI as a user would (`npx switchyard …`), on a data dir: the process, what it has
 * printed so far, and its exit code once it ends.
 */
function spawnCli(dataDir: string, ...args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, SWITCHYARD_DATA_DIR: dataDir, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = { stdout: "", stderr: "" };
  child.stdout.on("data", (chunk) => {
    output.stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output.stderr += chunk;
  });
  const exit = new Promise<number | null>((resolve) => child.on("close", resolve));
  return { child, output, exit };
}

/** Runs the CLI to its end; answers its exit code and output. */
async function switchyard(dataDir: string, ...args: string[]) {
  const { output, exit } = spawnCli(dataDir, ...args);
  const code = await exit;
  return { code, ...output };
}

/** `npm start` on a new data dir, with `contact_created` defined and the receiver subscribed. */
async function subscribedRuntime() {
  const dataDir = newDataDir();
  const runtime = await start(dataDir);
  await runtime.call("POST", "/api/v2/events", { name: "Contact Created", sample_payload: {} });
  await runtime.call("POST", "/api/v2/webhooks", {
    url: receiver.url,
    events: ["contact_created"],
  });
  return { dataDir, runtime };
}

describe("the switchyard CLI against npm start", () => {
  it("lists and shows a dead letter, redrives it until it succeeds, and fails in one line", async () => {
    const { dataDir, runtime } = await subscribedRuntime();
    receiver.respond = { status: 500, body: "down" };

    const triggered = await switchyard(
      dataDir,
      "trigger",
      "contact_created",
      "--linked-account",
      "acme",
      "--payload",
      '{"first_name":"Ada"}',
    );
    expect(triggered.code, triggered.stderr).toBe(0);
    expect(triggered.stdout).toMatch(/^evt_\w+ accepted/);

    const listed = await eventually(
      async () => {
        const run = await switchyard(dataDir, "dlq", "list", "--json");
        const page = JSON.parse(run.stdout) as { data: { id: string; attempt_count: number }[] };
        return page.data.length === 1 ? page.data : undefined;
      },
      20_000,
      "the dead letter",
    );
    const [dead] = listed;
    expect(dead?.attempt_count).toBe(4);
    const table = await switchyard(dataDir, "dlq", "list");
    expect(table.stdout).toContain(dead?.id);
    expect(table.stdout).toContain("dead_lettered (retries_exhausted)");
    const shown = await switchyard(dataDir, "dlq", "show", String(dead?.id), "--json");
    expect(JSON.parse(shown.stdout).attempts).toHaveLength(4);

    receiver.respond = { status: 200, body: "ok" };
    const redriven = await switchyard(dataDir, "dlq", "redrive", "--all", "--json");
    expect(redriven.code, redriven.stderr).toBe(0);
    expect(JSON.parse(redriven.stdout)).toEqual({
      redriven: 1,
      skipped: [],
      remaining: false,
      next_cursor: null,
    });
    await eventually(
      async () =>
        (await runtime.call("GET", `/api/v2/deliveries/${dead?.id}`)).body.status === "succeeded",
      10_000,
      "the redriven delivery to succeed",
    );
    const [first, last] = [receiver.requests[0], receiver.requests.at(-1)];
    expect(last?.headers["webhook-id"]).toBe(first?.headers["webhook-id"]);
    expect(last?.headers["x-switchyard-attempt"]).toBe("5");

    for (const [args, message] of [
      [["dlq", "show", "msg_nope"], 'switchyard: delivery "msg_nope" not found (404 NOT_FOUND)'],
      [
        ["--key", "sk_bad", "dlq", "list"],
        "switchyard: x-api-key is missing or unknown (401 UNAUTHORIZED)",
      ],
      [
        ["trigger", "contact_created", "--linked-account", "acme", "--payload", "{bad"],
        "switchyard: --payload is not JSON",
      ],
      [["dlq", "redrive"], "switchyard: give dead-letter ids, or --all"],
    ] as const) {
      const failed = await switchyard(dataDir, ...args);
      expect(failed.code, args.join(" ")).toBe(1);
      expect(failed.stderr.trim().split("\n")).toHaveLength(1);
      expect(failed.stderr).toContain(message);
    }
  }, 60_000);

  it("replays to a subscription the events it missed while disabled, and runs no workflow again", async () => {
    const dataDir = newDataDir();
    const runtime = await start(dataDir);
    await runtime.call("POST", "/api/v2/events", { name: "Contact Created", sample_payload: {} });
    const webhook = await runtime.call("POST", "/api/v2/webhooks", {
      url: receiver.url,
      events: ["contact_created"],
      enabled: false,
    });
    await runtime.call("POST", "/api/v2/workflows", {
      name: "CRM",
      event: "contact_created",
      action: { type: "http", url: receiver.url.replace("/hooks", "/crm") },
    });
    receiver.respond = { status: 200, body: "ok" };
    const since = new Date().toISOString();
    const eventIds: string[] = [];
    for (const name of ["Ada", "Grace", "Edsger"]) {
      const answer = await runtime.call(
        "POST",
        "/api/v2/public/event/contact_created",
        { payload: { first_name: name } },
        { linked_account_id: "acme" },
      );
      eventIds.push(answer.body.event_id);
    }
    const crm = () => receiver.requests.filter((request) => request.path === "/crm");
    await eventually(async () => crm().length === 3 || undefined, 10_000, "the workflow runs");
    const hooks = () => receiver.requests.filter((request) => request.path === "/hooks");
    const before = hooks().length;

    const replay = (...more: string[]) =>
      switchyard(dataDir, "webhooks", "replay", webhook.body.id, "--since", since, ...more);
    const refused = await replay();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("is disabled: enable it, then replay to it (409 CONFLICT)");
    await runtime.call("PATCH", `/api/v2/webhooks/${webhook.body.id}`, { enabled: true });
    const replayed = await replay("--json");

    expect(replayed.code, replayed.stderr).toBe(0);
    expect(JSON.parse(replayed.stdout)).toEqual({ replayed: 3, next_cursor: null });
    const received = await eventually(
      async () => (hooks().length - before === 3 ? hooks().slice(before) : undefined),
      10_000,
      "the replayed events",
    );
    const bodies = received.map(
      (request) => JSON.parse(request.body) as { event_id: string; data: unknown },
    );
    expect(bodies.map((body) => body.event_id).sort()).toEqual([...eventIds].sort());
    expect(bodies.map((body) => body.data)).toContainEqual({ first_name: "Grace" });
    // The workflow saw each event once, when it was triggered: a replay to one subscription
    // is that subscription's alone. An event triggered after the replay runs it a fourth
    // time; the replays, on the bus before it, would have run it by then.
    await runtime.call(
      "POST",
      "/api/v2/public/event/contact_created",
      { payload: { first_name: "Barbara" } },
      { linked_account_id: "acme" },
    );
    await eventually(async () => crm().length >= 4 || undefined, 10_000, "the later event's run");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const names = crm().map((request) => JSON.parse(request.body).first_name as string);
    expect([names.slice(0, 3).sort(), names.slice(3)]).toEqual([
      ["Ada", "Edsger", "Grace"],
      ["Barbara"],
    ]);
  }, 60_000);

  it("tails new attempts, one line each, until Ctrl-C", async () => {
    const { dataDir, runtime } = await subscribedRuntime();
    receiver.respond = { status: 200, body: "ok" };
    const tail = spawnCli(dataDir, "deliveries", "tail", "--interval", "200");
    await eventually(async () => tail.output.stderr.includes("following"), 10_000, "the tail");
    await new Promise((resolve) => setTimeout(resolve, 500)); // its first look: what was there
    const triggered = await runtime.call(
      "POST",
      "/api/v2/public/event/contact_created",
      { payload: {} },
      { linked_account_id: "acme" },
    );
    const printed = () => tail.output.stdout;
    await eventually(
      async () => /attempt 1 HTTP 200 → succeeded/.test(printed()),
      10_000,
      "a line",
    );
    expect(printed()).toContain("contact_created");
    expect(
      printed()
        .split("\n")
        .filter((l) => l.includes("succeeded")),
    ).toHaveLength(1);
    expect(triggered.status).toBe(200);
    tail.child.kill("SIGINT");
    expect(await tail.exit).toBe(0);
  }, 30_000);

  it("creates an app in the running runtime, whose key works at once and sees only its own", async () => {
    const dataDir = newDataDir();
    const runtime = await start(dataDir);
    await runtime.call("POST", "/api/v2/webhooks", { url: receiver.url, events: ["*"] });
    const created = await switchyard(dataDir, "apps", "create", "--name", "Globex", "--json");
    expect(created.code, created.stderr).toBe(0);
    const app = JSON.parse(created.stdout) as { app_id: string; name: string; api_key: string };
    expect(app).toMatchObject({ name: "Globex", app_id: expect.stringMatching(/^app_/) });
    const theirs = await switchyard(dataDir, "--key", app.api_key, "webhooks", "list", "--json");
    expect(theirs.code, theirs.stderr).toBe(0);
    expect(JSON.parse(theirs.stdout).data).toEqual([]);
    const ours = await switchyard(dataDir, "webhooks", "list", "--json");
    expect(JSON.parse(ours.stdout).data).toHaveLength(1);
  }, 30_000);

  it("says in one line that no runtime is running on the data dir", async () => {
    const dataDir = newDataDir();
    const run = await switchyard(dataDir, "dlq", "list");
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      `switchyard: Switchyard is not running on ${dataDir}: start it with npm start, or give --api <url> --key <key>`,
    );
  });
});
