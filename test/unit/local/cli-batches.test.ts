import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CliError } from "../../../local/cli/api-client.ts";
import { everyBatch } from "../../../local/cli/batches.ts";

let server: Server | undefined;
afterEach(() => {
  server?.close();
});

/** An API that answers `answers` in turn, recording the bodies it was sent. */
async function api(answers: { status: number; body: unknown }[]) {
  const bodies: unknown[] = [];
  server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk) => {
      text += chunk;
    });
    request.on("end", () => {
      bodies.push(JSON.parse(text));
      const answer = answers.shift() ?? { status: 500, body: {} };
      response.writeHead(answer.status, { "content-type": "application/json" });
      response.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { target: { api: `http://127.0.0.1:${port}`, key: "sk_test" }, bodies };
}

const options = (cursor?: string) => ({
  path: "/api/v2/webhooks/sub_1/replay",
  body: { since: "2026-12-01T09:00:00Z" },
  cursor,
  counted: "replayed",
  label: "replay",
  json: true,
});

describe("everyBatch", () => {
  it("calls until the cursor is null, from the cursor given, adding up the counts", async () => {
    const { target, bodies } = await api([
      { status: 200, body: { replayed: 100, next_cursor: "c2" } },
      { status: 200, body: { replayed: 7, next_cursor: null } },
    ]);
    expect(await everyBatch(target, options("c1"))).toEqual({ total: 107, skipped: [] });
    expect(bodies).toEqual([
      { since: "2026-12-01T09:00:00Z", cursor: "c1" },
      { since: "2026-12-01T09:00:00Z", cursor: "c2" },
    ]);
  });

  it("says how to go on after a call fails part-way, so done batches are not sent again", async () => {
    const { target } = await api([
      { status: 200, body: { replayed: 100, next_cursor: "c2" } },
      {
        status: 503,
        body: { status_code: 503, error_type: "UNAVAILABLE", message: "try again" },
      },
    ]);
    const failed = everyBatch(target, options());
    await expect(failed).rejects.toBeInstanceOf(CliError);
    await expect(failed).rejects.toThrow(/100 replayed so far: go on with --cursor c2$/);
  });
});
