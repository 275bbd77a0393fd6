import { linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** In the data dir while a runtime uses it: `{ "pid": …, "started_at": … }`. */
const LOCK_FILE = "runtime.lock";

export interface DataDirLock {
  /** Removes the lock if it is still this process's; safe to call more than once. */
  release(): void;
}

/**
 * Makes this process the one Switchyard that uses `dataDir` (created if missing), or throws
 * an error whose message says which process holds it. dynalite's LevelDB allows one process
 * at a time, and a second one would fail deep inside with "Database is closed".
 *
 * A lock whose process is gone (a runtime that was killed with SIGKILL, or crashed, leaves
 * its lock behind) is taken over. The lock is linked into place from a complete file, so it
 * never exists half-written. Two starts that take over the same stale lock in the same
 * instant could both win; LevelDB's own lock then stops the second.
 */
export function lockDataDir(dataDir: string, pid: number = process.pid): DataDirLock {
  ensureDirectory(dataDir);
  const lock = join(dataDir, LOCK_FILE);
  const mine = `${lock}.${pid}`;
  writeFileSync(mine, `${JSON.stringify({ pid, started_at: new Date().toISOString() })}\n`);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(mine, lock);
        return {
          release() {
            if (holderOf(lock) === pid) rmSync(lock, { force: true });
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const holder = holderOf(lock);
      if (holder !== undefined && holder !== pid && isAlive(holder)) {
        throw new Error(
          `the data dir ${dataDir} is in use by another Switchyard (pid ${holder}); ` +
            "stop it or set SWITCHYARD_DATA_DIR",
        );
      }
      rmSync(lock, { force: true });
    }
    throw new Error(`the data dir ${dataDir} is in use by another Switchyard`);
  } finally {
    rmSync(mine, { force: true });
  }
}

function ensureDirectory(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    const isFile = statSync(dataDir, { throwIfNoEntry: false })?.isDirectory() === false;
    throw new Error(
      isFile
        ? `SWITCHYARD_DATA_DIR ${dataDir} is not a directory`
        : `SWITCHYARD_DATA_DIR ${dataDir} cannot be created: ${(error as Error).message}`,
    );
  }
}

/** The pid the lock names; undefined when the file is gone or holds no pid. */
function holderOf(lock: string): number | undefined {
  try {
    const { pid } = JSON.parse(readFileSync(lock, "utf8")) as { pid?: unknown };
    return Number.isInteger(pid) && (pid as number) > 0 ? (pid as number) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this id exists (EPERM: it does, as another user's). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
