import { resolve } from "node:path";
import { type Config, loadConfig } from "../functions/config.ts";
import { API_KEY_PATTERN } from "../functions/core/api-keys.ts";
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

// Each setting error is one line that names the setting and what it allows: `npm start` prints
// it as it is.

/**
 * Local defaults differ from the cloud's in two places only: receivers on this machine are
 * allowed (private addresses, plain http), because the first receiver anyone tries is local.
 */
export function localSettings(env: Env = process.env): LocalSettings {
  return {
    port: portFrom(env.PORT),
    dataDir: resolve(env.SWITCHYARD_DATA_DIR ?? ".switchyard"),
    apiKey: apiKeyFrom(env.SWITCHYARD_API_KEY),
    functions: loadConfig({
      SWITCHYARD_ALLOW_PRIVATE_URLS: "true",
      SWITCHYARD_REQUIRE_HTTPS: "false",
      SWITCHYARD_ENVIRONMENT: "local",
      ...env,
    }),
    faults: parseFaults(env.SWITCHYARD_FAULTS),
  };
}

function portFrom(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 3000;
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(port <= 65535))
    throw new Error(`PORT must be a whole number from 0 to 65535, not "${raw}"`);
  return port;
}

/** The key as given; a malformed one is refused here, without echoing it (it is a secret). */
function apiKeyFrom(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === "") return undefined;
  if (!API_KEY_PATTERN.test(raw)) {
    throw new Error("SWITCHYARD_API_KEY must be sk_ followed by 43 base64url characters");
  }
  return raw;
}
