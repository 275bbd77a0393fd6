import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import { createTable } from "../../functions/adapters/store/create-table.ts";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "./credentials.ts";
import { cacheDynaliteParses } from "./dynalite-parse-cache.ts";
import { type EmulatorAccess, inProcessClientOptions } from "./in-process.ts";

export interface LocalDynamo {
  endpoint: string;
  /** Whether the emulator answers and the table is there. */
  healthy(): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * dynalite on a loopback port, its LevelDB under `<dataDir>/dynamodb`, with the table created
 * from the definition the stack uses. With `served`, a dynalite already serving (the emulator
 * thread's), only the table is made, through its in-process dispatch.
 */
export async function startDynamo(
  dataDir: string,
  tableName: string,
  served?: EmulatorAccess,
): Promise<LocalDynamo> {
  const server = served === undefined ? await serveDynalite(dataDir) : undefined;
  const endpoint =
    served?.endpoint ?? `http://127.0.0.1:${(server?.address() as AddressInfo | undefined)?.port}`;
  const client = new DynamoDBClient({
    region: LOCAL_REGION,
    endpoint,
    credentials: LOCAL_CREDENTIALS,
    ...(served && inProcessClientOptions(served.dispatch)),
  });
  await createTable(client, tableName);
  return {
    endpoint,
    async healthy() {
      try {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
        return Table?.TableStatus === "ACTIVE";
      } catch {
        return false;
      }
    },
    async stop() {
      client.destroy();
      if (server) await closeDynalite(server);
    },
  };
}

export async function serveDynalite(dataDir: string) {
  const path = join(dataDir, "dynamodb");
  mkdirSync(path, { recursive: true });
  cacheDynaliteParses();
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  return server;
}

/** Stops a dynalite server, its open connections too. */
export async function closeDynalite(server: Awaited<ReturnType<typeof serveDynalite>>) {
  server.closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
