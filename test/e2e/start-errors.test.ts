import { once } from "node:events";
import { existsSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runFailingStart, useLocalRuntimes } from "../support/local-runtime.ts";

const { newDataDir, start } = useLocalRuntimes();

/** A start that must fail says so in exactly one line, with no stack trace, and exits 1. */
async function expectOneLineFailure(env: Record<string, string>): Promise<string> {
  const { code, output } = await runFailingStart(env);
  const lines = output.trim().split("\n");
  expect(output).not.toMatch(/^\s+at /m);
  expect(lines, output).toHaveLength(1);
  expect(code).toBe(1);
  return lines[0] ?? "";
}

describe("one Switchyard per data dir", () => {
  it("refuses a second start on a data dir in use, in one line naming the other's pid", async () => {
    const dataDir = newDataDir();
    const first = await start(dataDir);
    const line = await expectOneLineFailure({ SWITCHYARD_DATA_DIR: dataDir });
    expect(line).toBe(
      `switchyard: could not start: the data dir ${dataDir} is in use by another Switchyard ` +
        `(pid ${first.process.pid}); stop it or set SWITCHYARD_DATA_DIR`,
    );
    const health = await fetch(`${first.url}/health`);
    expect(health.status).toBe(200);
    expect((await first.call("GET", "/api/v2/events")).status).toBe(200);
  });

  it("starts on a data dir whose lock a killed runtime left behind", async () => {
    const dataDir = newDataDir();
    const first = await start(dataDir);
    await first.stop("SIGKILL");
    expect(existsSync(join(dataDir, "runtime.lock")), "the killed runtime's lock").toBe(true);
    const second = await start(dataDir);
    expect((await fetch(`${second.url}/health`)).status).toBe(200);
  });

  it("starts again at once after a stop, and after a lock file that holds garbage", async () => {
    const dataDir = newDataDir();
    await (await start(dataDir)).stop("SIGTERM");
    expect(existsSync(join(dataDir, "runtime.lock")), "a stopped runtime's lock").toBe(false);
    writeFileSync(join(dataDir, "runtime.lock"), "not json");
    const again = await start(dataDir);
    expect((await fetch(`${again.url}/health`)).status).toBe(200);
  });
});

describe("a bad setting", () => {
  it.each([
    [
      { SWITCHYARD_RETRY_BASE_SECONDS: "-1" },
      'SWITCHYARD_RETRY_BASE_SECONDS must be a number from 0 to 3600, not "-1"',
    ],
    [{ PORT: "abc" }, 'PORT must be a whole number from 0 to 65535, not "abc"'],
    [{ PORT: "70000" }, 'PORT must be a whole number from 0 to 65535, not "70000"'],
    [
      { SWITCHYARD_MAX_RETRIES: "1.5" },
      'SWITCHYARD_MAX_RETRIES must be a whole number from 0 to 20, not "1.5"',
    ],
    [
      { SWITCHYARD_DELIVERY_TIMEOUT_SECONDS: "0" },
      'SWITCHYARD_DELIVERY_TIMEOUT_SECONDS must be a number from 0.1 to 900, not "0"',
    ],
    [
      { SWITCHYARD_REQUIRE_HTTPS: "maybe" },
      'SWITCHYARD_REQUIRE_HTTPS must be true or false, not "maybe"',
    ],
    [
      { SWITCHYARD_API_KEY: "sk_short" },
      "SWITCHYARD_API_KEY must be sk_ followed by 43 base64url characters",
    ],
  ])("%j is refused in one line naming it and what it allows", async (env, message) => {
    const line = await expectOneLineFailure({ SWITCHYARD_DATA_DIR: newDataDir(), ...env });
    expect(line).toBe(`switchyard: could not start: ${message}`);
  });

  it("SWITCHYARD_DATA_DIR that is a file is refused in one line", async () => {
    const file = join(newDataDir(), "a-file");
    writeFileSync(file, "");
    const line = await expectOneLineFailure({ SWITCHYARD_DATA_DIR: file });
    expect(line).toBe(
      `switchyard: could not start: SWITCHYARD_DATA_DIR ${file} is not a directory`,
    );
  });

  it("a PORT that something else holds is refused in one line", async () => {
    const holder: Server = createServer().listen(0, "127.0.0.1");
    await once(holder, "listening");
    const port = (holder.address() as { port: number }).port;
    try {
      const line = await expectOneLineFailure({
        SWITCHYARD_DATA_DIR: newDataDir(),
        PORT: String(port),
      });
      expect(line).toBe(
        `switchyard: could not start: PORT ${port} is in use on 127.0.0.1; stop what holds it or set PORT (0 picks a free port)`,
      );
    } finally {
      holder.close();
    }
  });
});
