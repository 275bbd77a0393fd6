import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { descendantsOf, isRunning, startLocalRuntime } from "../support/local-runtime.ts";

const dataDirs: string[] = [];
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** Whether anything answers HTTP at `url`. */
const answers = (url: string) =>
  fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) }).then(
    () => true,
    () => false,
  );

describe("npm start, as a user runs it", () => {
  it.each(["SIGTERM", "SIGINT"] as const)(
    "stops the whole runtime when the npm process gets %s",
    async (signal) => {
      const dataDir = mkdtempSync(join(tmpdir(), "switchyard-npm-start-"));
      dataDirs.push(dataDir);
      const runtime = await startLocalRuntime({ SWITCHYARD_DATA_DIR: dataDir }, { viaNpm: true });
      const npm = runtime.process.pid ?? 0;
      const below = descendantsOf(npm);
      try {
        expect(below.length).toBeGreaterThan(0);
        expect(await answers(runtime.url)).toBe(true);

        // To npm alone, as `kill -TERM <pid>` sends it; the runtime drains within 8 s.
        const stopped = await Promise.race([
          runtime.stop(signal).then(() => true),
          setTimeout(15_000).then(() => false),
        ]);
        expect(stopped, "npm start still runs 15 s after the signal").toBe(true);
        expect(below.filter(isRunning), "processes left behind").toEqual([]);
        expect(await answers(runtime.url), "the API still answers").toBe(false);
        expect(runtime.output()).toContain("Stopped.");
      } finally {
        // Whatever the outcome, this test leaves none of the processes it started.
        for (const pid of [npm, ...below].filter(isRunning)) process.kill(pid, "SIGKILL");
      }
    },
    30_000,
  );
});
