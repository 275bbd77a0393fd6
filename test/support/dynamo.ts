import type { AddressInfo } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import dynalite from "dynalite";
import { createTable } from "../../functions/adapters/store/create-table.ts";
import { createDynamoStore } from "../../functions/adapters/store/index.ts";
import type { TableContext } from "../../functions/adapters/store/table-context.ts";
import type { Store } from "../../functions/core/ports.ts";
import { cacheDynaliteParses } from "../../local/emulators/dynalite-parse-cache.ts";

export interface TestTable {
  endpoint: string;
  doc: DynamoDBDocumentClient;
  /** A store over a new, empty table, which `items` then reads; `options` set its clock or retention. */
  freshStore(options?: Pick<TableContext, "now" | "retentionDays">): Promise<Store>;
  /** The newest table's name. */
  tableName(): string;
  /** Every item of the newest table whose `kind` is given (all items without one). */
  items(kind?: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

const credentials = { accessKeyId: "test", secretAccessKey: "test" };
let tables = 0;

/**
 * An in-memory dynalite on a loopback port with the real table: store tests see DynamoDB's
 * own conditional writes, queries and indexes rather than a mock that echoes the code.
 */
export async function startTestTable(): Promise<TestTable> {
  cacheDynaliteParses(); // as the local runtime's dynalite does
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ region: "us-east-1", endpoint, credentials });
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  let tableName = "";
  return {
    endpoint,
    doc,
    async freshStore(options = {}) {
      tableName = `switchyard-test-${++tables}`;
      await createTable(client, tableName);
      return createDynamoStore({ doc, tableName, ...options });
    },
    tableName: () => tableName,
    async items(kind) {
      const { Items = [] } = await doc.send(new ScanCommand({ TableName: tableName }));
      return kind === undefined ? Items : Items.filter((item) => item.kind === kind);
    },
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
