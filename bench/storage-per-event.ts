/**
 * What one event leaves in the table, as DynamoDB bills storage: each item's size plus 100
 * bytes of overhead, and each index entry's (its projected attributes: keys only here, the
 * table's and the index's) plus 100 bytes. Read by scanning the local runtime's table after a
 * scenario, so it measures the layout the code writes, not a description of it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  DescribeTableCommand,
  DynamoDBClient,
  ScanCommand,
  type ScanCommandOutput,
} from "@aws-sdk/client-dynamodb";
import { type Item, itemBytes } from "./capacity-units.ts";

/** DynamoDB's per-item storage overhead, in the table and in each index. */
const ITEM_OVERHEAD_BYTES = 100;

export interface StoredBytes {
  /** Bytes per kind of item (`kind` attribute); its index entries under `<kind>: <index> entry`. */
  byKind: Map<string, number>;
  total: number;
}

/** Scans the runtime's table in `dataDir` and totals what is stored, by kind. */
export async function storedBytes(dataDir: string, tableName: string): Promise<StoredBytes> {
  const { dynamodb_endpoint: endpoint } = JSON.parse(
    readFileSync(join(dataDir, "runtime.json"), "utf8"),
  ) as { dynamodb_endpoint: string };
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const tableKeys = (Table?.KeySchema ?? []).map((key) => key.AttributeName ?? "");
    const indexes = (Table?.GlobalSecondaryIndexes ?? []).map((index) => ({
      name: index.IndexName ?? "",
      keys: (index.KeySchema ?? []).map((key) => key.AttributeName ?? ""),
      projection: index.Projection?.ProjectionType ?? "ALL",
      included: index.Projection?.NonKeyAttributes ?? [],
    }));
    const byKind = new Map<string, number>();
    const add = (kind: string, bytes: number) => byKind.set(kind, (byKind.get(kind) ?? 0) + bytes);
    let startKey: ScanCommandOutput["LastEvaluatedKey"];
    do {
      const page = await client.send(
        new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }),
      );
      for (const raw of page.Items ?? []) {
        const item = raw as Item;
        const kind = "S" in (item.kind ?? {}) ? (item.kind as { S: string }).S : "other";
        add(kind, itemBytes(item) + ITEM_OVERHEAD_BYTES);
        for (const index of indexes) {
          if (!index.keys.every((key) => item[key] !== undefined)) continue;
          const names =
            index.projection === "ALL"
              ? Object.keys(item)
              : [...new Set([...tableKeys, ...index.keys, ...index.included])];
          const entry = Object.fromEntries(
            names.filter((name) => item[name] !== undefined).map((name) => [name, item[name]]),
          ) as Item;
          add(`${kind}: ${index.name} entry`, itemBytes(entry) + ITEM_OVERHEAD_BYTES);
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return { byKind, total: [...byKind.values()].reduce((sum, bytes) => sum + bytes, 0) };
  } finally {
    client.destroy();
  }
}

/** Prints the bytes per event of the kinds written per event (configuration left out). */
export function printStorage(stored: StoredBytes, events: number, perEventKinds: string[]) {
  const rows = [...stored.byKind].filter(([kind]) =>
    perEventKinds.includes(kind.split(":")[0] ?? ""),
  );
  const total = rows.reduce((sum, [, bytes]) => sum + bytes, 0) / events;
  console.log(
    `  stored per event (item sizes + 100 B each, as DynamoDB bills storage): ${Math.round(total)} B`,
  );
  for (const [kind, bytes] of rows.sort()) {
    console.log(`    ${kind.padEnd(30)} ${Math.round(bytes / events)} B`);
  }
}
