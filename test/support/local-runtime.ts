import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";

export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: answers are JSON, asserted field by field
  body: any;
}

export interface LocalRuntime {
  url: string;
  apiKey: string;
  process: ChildProcess;
  /** Everything the runtime printed. */
  output(): string;
  /** Sends `signal` and waits for the process to end; answers how long that took. */
  stop(signal?: NodeJS.Signals): Promise<number>;
  /** Calls the API as the local app. */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Answer>;
}

/**
 * Starts `npm start`'s program (local/start.ts) in its own process, as a user would, on a
 * free port, and waits for its banner.
 */
export async function startLocalRuntime(env: Record<string, string>): Promise<LocalRuntime> {
  const child = spawn(process.execPath, ["--import", "tsx", "local/start.ts"], {
    env: { ...process.env, PORT: "0", POWERTOOLS_LOG_LEVEL: "ERROR", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const banner = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 20 s:\n${output}`)), 20_000);
    const check = () => {
      if (/API key\s+sk_/.test(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`runtime exited with ${code}:\n${output}`));
    });
  });
  const url = /API\s+(http:\/\/\S+)/.exec(banner)?.[1] ?? "";
  const apiKey = /API key\s+(sk_\S+)/.exec(banner)?.[1] ?? "";
  return {
    url,
    apiKey,
    process: child,
    output: () => output,
    async stop(signal = "SIGTERM") {
      const started = performance.now();
      if (child.exitCode !== null || child.signalCode !== null) return 0;
      const exited = once(child, "exit");
      child.kill(signal);
      await exited;
      return performance.now() - started;
    },
    async call(method, path, body, headers = {}) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          "x-api-key": apiKey,
          ...(body !== undefined && { "content-type": "application/json" }),
          ...headers,
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
  };
}

/** Polls `probe` until it answers something truthy, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
