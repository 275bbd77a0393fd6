import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { relaxSqliteSync } from "../../../../local/emulators/sqlite-durability.ts";

const dir = mkdtempSync(join(tmpdir(), "switchyard-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const synchronous = (db: DatabaseSync) =>
  (db.prepare("PRAGMA synchronous").get() as { synchronous: number }).synchronous;

describe("the emulator thread's SQLite", () => {
  it("turns WAL databases to synchronous = NORMAL, leaves others alone, and keeps what was committed", () => {
    relaxSqliteSync();
    relaxSqliteSync(); // twice is once

    const wal = new DatabaseSync(join(dir, "wal.db"));
    wal.exec("PRAGMA journal_mode = WAL");
    const plain = new DatabaseSync(join(dir, "plain.db"));
    plain.exec("CREATE TABLE t (v TEXT)");

    expect(synchronous(wal)).toBe(1); // NORMAL
    expect(synchronous(plain)).toBe(2); // FULL, SQLite's default
    wal.exec("CREATE TABLE m (v TEXT); INSERT INTO m VALUES ('kept')");
    const reader = new DatabaseSync(join(dir, "wal.db"));
    expect(reader.prepare("SELECT v FROM m").all()).toEqual([{ v: "kept" }]);
    for (const db of [wal, plain, reader]) db.close();
  });
});
