import { DatabaseSync } from "node:sqlite";

/**
 * fauxqs keeps its queues in SQLite in WAL mode with SQLite's default `synchronous = FULL`: every
 * message sent, received or deleted waits for an fsync. The local runtime asks for
 * `synchronous = NORMAL` (in WAL mode a commit then reaches the OS, not the disk): a killed
 * process still loses nothing, which is what the runtime promises; only a power cut could
 * lose the last moments. fauxqs has no option for it, so its `PRAGMA journal_mode = WAL` is
 * followed by this one, in this thread only.
 */
export function relaxSqliteSync(): void {
  const exec = DatabaseSync.prototype.exec;
  if ((exec as { relaxed?: boolean }).relaxed) return;
  const relaxed = function (this: DatabaseSync, sql: string) {
    const result = Reflect.apply(exec, this, [sql]);
    if (/^\s*PRAGMA\s+journal_mode\s*=\s*WAL\s*$/i.test(sql)) {
      Reflect.apply(exec, this, ["PRAGMA synchronous = NORMAL"]);
    }
    return result;
  };
  (relaxed as { relaxed?: boolean }).relaxed = true;
  DatabaseSync.prototype.exec = relaxed as typeof exec;
}
