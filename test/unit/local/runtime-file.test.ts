import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RUNTIME_FILE, readRunningRuntime } from "../../../local/runtime-file.ts";

const dirs: string[] = [];
/** A data dir whose runtime file says `written`. */
const dataDir = (written?: object) => {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-runtime-file-"));
  dirs.push(dir);
  if (written) writeFileSync(join(dir, RUNTIME_FILE), JSON.stringify(written));
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const written = (pid: number) => ({
  pid,
  api_url: "http://127.0.0.1:3000",
  api_key: "sk_x",
  sqs_endpoint: "http://127.0.0.1:9324",
});

describe("the running runtime, found through its data dir", () => {
  it("is where the file says while its process lives", () => {
    expect(readRunningRuntime(dataDir(written(process.pid)))).toEqual({
      pid: process.pid,
      api: "http://127.0.0.1:3000",
      apiKey: "sk_x",
    });
  });

  it("is none when the process that wrote the file is gone", () => {
    const gone = spawnSync(process.execPath, ["-e", ""]).pid ?? 0;
    expect(readRunningRuntime(dataDir(written(gone)))).toBeUndefined();
  });

  it("is none without the file, or with one that is not the runtime's", () => {
    expect(readRunningRuntime(dataDir())).toBeUndefined();
    expect(readRunningRuntime(dataDir({ pid: process.pid }))).toBeUndefined();
  });
});
