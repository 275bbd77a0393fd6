import { resolve } from "node:path";
import { type Config, loadConfig } from "../functions/config.ts";
import { type Faults, parseFaults } from "./faults.ts";

/** The local runtime's settings (SPEC §5), read from the environment once at start. */
export interface LocalSettings {
  port: number;
  /** Where DynamoDB, SQS and the local app's key are kept across restarts. */
  dataDir: string;
  /** The local app's key as given; generated and kept in the data dir when unset. */
  apiKey: string | undefined;
  /** The functions' configuration: the same reader the Lambda functions use. */
  functions: Config;
  /** Faults to inject, for trying failures (`SWITCHYARD_FAULTS`); none by default. */
  faults: Faults;
}

type Env = Record<string, string | undefined>;

/**
 * Local defaults differ from the cloud's in two places only: receivers on this machine are
 * allowed (private addresses, plain http), because the first receiver anyone tries is local.
 */
export function localSettings(env: Env = process.env): LocalSettings {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number, not "${env.PORT}"`);
  }
  return {
    port,
    dataDir: resolve(env.SWITCHYARD_DATA_DIR ?? ".switchyard"),
    apiKey: env.SWITCHYARD_API_KEY || undefined,
    functions: loadConfig({
      SWITCHYARD_ALLOW_PRIVATE_URLS: "true",
      SWITCHYARD_REQUIRE_HTTPS: "false",
      ...env,
    }),
    faults: parseFaults(env.SWITCHYARD_FAULTS),
  };
}
