import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * `runtime.json` in the data dir, written by a runtime once it serves (local/runtime.ts): its
 * pid, where its API and emulators listen, its queues and the local app's key. The `switchyard`
 * CLI finds the running runtime through it; the file of a runtime that is gone stays behind
 * and names no runtime here, since its pid is no longer alive.
 */
export const RUNTIME_FILE = "runtime.json";

export interface RunningRuntime {
  pid: number;
  api: string;
  apiKey: string;
  /** The DynamoDB emulator's loopback endpoint and the table in it. */
  dynamodbEndpoint?: string | undefined;
  tableName?: string | undefined;
}

/** The runtime serving `dataDir`, or undefined when none is (no file, or its process is gone). */
export function readRunningRuntime(dataDir: string): RunningRuntime | undefined {
  let written: {
    pid?: unknown;
    api_url?: unknown;
    api_key?: unknown;
    dynamodb_endpoint?: unknown;
    table_name?: unknown;
  };
  try {
    written = JSON.parse(readFileSync(join(dataDir, RUNTIME_FILE), "utf8"));
  } catch {
    return undefined;
  }
  const { pid, api_url: api, api_key: apiKey } = written;
  if (typeof pid !== "number" || typeof api !== "string" || typeof apiKey !== "string") {
    return undefined;
  }
  try {
    process.kill(pid, 0); // signal 0: only asks whether it is alive
  } catch {
    return undefined;
  }
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  return {
    pid,
    api,
    apiKey,
    dynamodbEndpoint: text(written.dynamodb_endpoint),
    tableName: text(written.table_name),
  };
}
