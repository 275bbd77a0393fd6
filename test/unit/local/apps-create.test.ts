import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_KEY_PATTERN, hashApiKey } from "../../../functions/core/api-keys.ts";
import type { Store } from "../../../functions/core/ports.ts";
import { startTestTable, type TestTable } from "../../support/dynamo.ts";

const run = promisify(execFile);
let table: TestTable;
let store: Store;

beforeAll(async () => {
  table = await startTestTable();
  store = await table.freshStore();
});
afterAll(async () => table?.close());

/** Runs the operator command as `npm run apps:create` would, against the test table. */
function appsCreate(...args: string[]) {
  return run(
    process.execPath,
    ["node_modules/tsx/dist/cli.mjs", "local/cli/apps-create.ts", ...args],
    {
      env: {
        ...process.env,
        SWITCHYARD_DYNAMODB_ENDPOINT: table.endpoint,
        SWITCHYARD_TABLE_NAME: table.tableName(),
        AWS_REGION: "us-east-1",
      },
    },
  );
}

describe("npm run apps:create", () => {
  it("creates an app and prints its key once; only the key's hash is stored", async () => {
    const { stdout } = await appsCreate("--name", "Acme", "--json");
    const created = JSON.parse(stdout) as { app_id: string; name: string; api_key: string };
    expect(created.app_id).toMatch(/^app_[0-9A-Z]{26}$/);
    expect(created.api_key).toMatch(API_KEY_PATTERN);
    expect(await store.findAppByKeyHash(hashApiKey(created.api_key))).toMatchObject({
      id: created.app_id,
      name: "Acme",
    });
    const items = JSON.stringify(await table.items());
    expect(items).not.toContain(created.api_key);
  });

  it("prints a readable answer without --json", async () => {
    const { stdout } = await appsCreate("--name", "Globex");
    expect(stdout).toMatch(/^app_id: +app_/m);
    expect(stdout).toMatch(/^api_key: sk_/m);
  });

  it("exits 2 with the usage when --name is missing", async () => {
    await expect(appsCreate()).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--name is required"),
    });
  });
});
