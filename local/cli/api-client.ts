import { resolve } from "node:path";
import { readRunningRuntime } from "../runtime-file.ts";

/** What the CLI says went wrong: one line on stderr and a non-zero exit, never a stack trace. */
export class CliError extends Error {}

/** Where the CLI sends its requests, and as which app. */
export interface ApiTarget {
  api: string;
  key: string;
}

/**
 * `--api` and `--key` (or SWITCHYARD_API_KEY) for any deployment; otherwise the runtime that
 * `npm start` runs on SWITCHYARD_DATA_DIR (`.switchyard` by default), found through the file it
 * keeps there while it runs.
 */
export function resolveTarget(
  options: { api?: string | undefined; key?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): ApiTarget {
  const key = options.key ?? env.SWITCHYARD_API_KEY;
  if (options.api !== undefined) {
    if (key === undefined) throw new CliError("--api needs --key (or SWITCHYARD_API_KEY)");
    return { api: options.api.replace(/\/+$/, ""), key };
  }
  const dataDir = resolve(env.SWITCHYARD_DATA_DIR ?? ".switchyard");
  const running = readRunningRuntime(dataDir);
  if (!running) {
    throw new CliError(
      `Switchyard is not running on ${dataDir}: start it with npm start, or give --api <url> --key <key>`,
    );
  }
  return { api: running.api, key: key ?? running.apiKey };
}

/** Calls the API; answers its JSON body (undefined for 204) or throws a one-line CliError. */
export async function callApi(
  target: ApiTarget,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${target.api}${path}`, {
      method,
      headers: {
        "x-api-key": target.key,
        ...(options.body === undefined ? {} : { "content-type": "application/json" }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`cannot reach ${target.api}: ${cause?.code ?? cause?.message ?? error}`);
  }
  if (response.status === 204) return undefined;
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new CliError(`${target.api} answered ${response.status} without JSON`);
  }
  if (!response.ok) {
    const { message, error_type: type } = (body ?? {}) as { message?: string; error_type?: string };
    throw new CliError(
      `${message ?? "request failed"} (${response.status}${type ? ` ${type}` : ""})`,
    );
  }
  return body;
}
