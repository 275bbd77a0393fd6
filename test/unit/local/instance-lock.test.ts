import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lockDataDir } from "../../../local/instance-lock.ts";

let dataDir: string;
let lockFile: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "switchyard-lock-"));
  lockFile = join(dataDir, "runtime.lock");
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

/** The pid of a process that has ended. */
const endedPid = () => spawnSync(process.execPath, ["-e", ""]).pid;

describe("lockDataDir", () => {
  it("writes this process's pid and removes the lock on release", () => {
    const lock = lockDataDir(dataDir);
    expect(JSON.parse(readFileSync(lockFile, "utf8")).pid).toBe(process.pid);
    lock.release();
    expect(existsSync(lockFile)).toBe(false);
  });

  it("refuses a data dir whose lock names a live process, naming it", () => {
    const other = process.ppid; // alive for as long as this test runs
    writeFileSync(lockFile, JSON.stringify({ pid: other }));
    expect(() => lockDataDir(dataDir)).toThrow(
      `the data dir ${dataDir} is in use by another Switchyard (pid ${other}); stop it or set SWITCHYARD_DATA_DIR`,
    );
    expect(JSON.parse(readFileSync(lockFile, "utf8")).pid).toBe(other);
  });

  it.each([
    ["a process that has ended", () => JSON.stringify({ pid: endedPid() })],
    ["this very pid (reused after a crash)", () => JSON.stringify({ pid: process.pid })],
    ["no pid", () => "not json"],
  ])("takes over a lock that names %s", (_, content) => {
    writeFileSync(lockFile, content());
    lockDataDir(dataDir, process.pid);
    expect(JSON.parse(readFileSync(lockFile, "utf8")).pid).toBe(process.pid);
  });

  it("leaves a lock alone on release once another process holds it", () => {
    const lock = lockDataDir(dataDir);
    writeFileSync(lockFile, JSON.stringify({ pid: process.ppid }));
    lock.release();
    expect(existsSync(lockFile)).toBe(true);
  });

  it("creates a missing data dir, and names SWITCHYARD_DATA_DIR when it is a file", () => {
    lockDataDir(join(dataDir, "new", "dir")).release();
    expect(existsSync(join(dataDir, "new", "dir"))).toBe(true);
    const file = join(dataDir, "a-file");
    writeFileSync(file, "");
    expect(() => lockDataDir(file)).toThrow(`SWITCHYARD_DATA_DIR ${file} is not a directory`);
  });
});
