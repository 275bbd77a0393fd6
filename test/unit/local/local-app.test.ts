import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { hashApiKey } from "../../../functions/core/api-keys.ts";
import { systemClock } from "../../../functions/core/clock.ts";
import type { Store } from "../../../functions/core/ports.ts";
import { ensureLocalApp } from "../../../local/local-app.ts";
import { startTestTable, type TestTable } from "../../support/dynamo.ts";

let table: TestTable;
let store: Store;
let dataDir: string;

beforeAll(async () => {
  table = await startTestTable();
});
afterAll(async () => table?.close());
beforeEach(async () => {
  store = await table.freshStore();
  dataDir = mkdtempSync(join(tmpdir(), "switchyard-app-"));
  return () => rmSync(dataDir, { recursive: true, force: true });
});

describe("the local app", () => {
  it("is created with a new key on the first start, kept in the data dir for the owner only", async () => {
    const first = await ensureLocalApp(store, dataDir, undefined, systemClock);
    expect(first.origin).toBe("generated");
    const file = join(dataDir, "local-app.json");
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({
      app_id: first.appId,
      api_key: first.apiKey,
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = await ensureLocalApp(store, dataDir, undefined, systemClock);
    expect(again).toEqual({ ...first, origin: "data dir" });
  });

  it("uses SWITCHYARD_API_KEY as given, the same app at every start", async () => {
    const key = `sk_${"k".repeat(43)}`;
    const first = await ensureLocalApp(store, dataDir, key, systemClock);
    const again = await ensureLocalApp(store, dataDir, key, systemClock);
    expect(first).toMatchObject({ apiKey: key, origin: "environment" });
    expect(again.appId).toBe(first.appId);
    expect(await store.findAppByKeyHash(hashApiKey(key))).toMatchObject({ id: first.appId });
  });

  it("refuses a SWITCHYARD_API_KEY that is not an API key", async () => {
    await expect(ensureLocalApp(store, dataDir, "secret", systemClock)).rejects.toThrow("sk_");
  });
});
