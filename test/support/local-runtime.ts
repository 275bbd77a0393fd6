import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, afterEach } from "vitest";

/** How npm start runs the runtime, after `node`. */
const START_ARGS = ["--import", "tsx", "local/start.ts"];

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
 * Starts `npm start`'s program (local/start.ts) in its own process on a free port, and waits
 * for its banner. With `viaNpm`, it runs `npm start` itself, from a shell's environment: no
 * `node_modules/.bin` on PATH and no npm_* variables, so npm runs on whatever Node the
 * machine has and the script on the project's, exactly as when a user types it.
 */
export async function startLocalRuntime(
  env: Record<string, string>,
  options: { viaNpm?: boolean } = {},
): Promise<LocalRuntime> {
  const settings = { PORT: "0", POWERTOOLS_LOG_LEVEL: "ERROR", ...env };
  const child = options.viaNpm
    ? spawn("npm", ["start"], {
        env: { ...userShellEnv(), ...settings },
        stdio: ["ignore", "pipe", "pipe"],
      })
    : spawn(process.execPath, START_ARGS, {
        env: { ...process.env, ...settings },
        stdio: ["ignore", "pipe", "pipe"],
      });
  const printed = collectOutput(child);
  const banner = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no banner within 20 s:\n${printed()}`)),
      20_000,
    );
    const check = () => {
      if (/API key\s+sk_/.test(printed())) {
        clearTimeout(timer);
        resolve(printed());
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`runtime exited with ${code}:\n${printed()}`));
    });
  });
  const url = /API\s+(http:\/\/\S+)/.exec(banner)?.[1] ?? "";
  const apiKey = /API key\s+(sk_\S+)/.exec(banner)?.[1] ?? "";
  return {
    url,
    apiKey,
    process: child,
    output: printed,
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

/**
 * Runs `npm start`'s program (local/start.ts) as startLocalRuntime does, for a start that is
 * meant to fail: answers its exit code and everything it printed. Fails after 20 s.
 */
export async function runFailingStart(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, START_ARGS, {
    env: { ...process.env, PORT: "0", POWERTOOLS_LOG_LEVEL: "ERROR", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const printed = collectOutput(child);
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { code, output: printed() };
}

/** Gathers everything a child prints, on both streams; answers a reader of it so far. */
function collectOutput(child: ChildProcess): () => string {
  let output = "";
  const append = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  return () => output;
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

/** This process's environment as a user's shell has it: without what `npm test` added. */
function userShellEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_")),
  );
  env.PATH = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => !/node_modules[\\/]\.bin$/.test(dir))
    .join(delimiter);
  return env;
}

/** The ids of every process below `pid` (children, theirs, …), read from `ps`. */
export function descendantsOf(pid: number): number[] {
  const table = spawnSync("ps", ["-A", "-o", "pid=,ppid="], { encoding: "utf8" }).stdout;
  const children = new Map<number, number[]>();
  for (const line of table.trim().split("\n")) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (child === undefined || parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const found: number[] = [];
  const pending = [pid];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    for (const child of children.get(next) ?? []) {
      found.push(child);
      pending.push(child);
    }
  }
  return found;
}

/**
 * Whether a process with this id runs. A zombie (ended, not yet reaped: in a container whose
 * init reaps nothing, an orphan's short-lived child can stay one) does not count.
 */
export function isRunning(pid: number): boolean {
  const state = spawnSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" }).stdout;
  return state.trim() !== "" && !state.trim().startsWith("Z");
}

/**
 * The set-up every end-to-end file needs: temporary data dirs, and runtimes started on them
 * (with `defaults` under each test's own settings), killed after each test, dirs removed after
 * the file.
 */
export function useLocalRuntimes(defaults: Record<string, string> = {}) {
  const runtimes: LocalRuntime[] = [];
  const dataDirs: string[] = [];
  afterEach(async () => {
    await Promise.all(runtimes.splice(0).map((runtime) => runtime.stop("SIGKILL")));
  });
  afterAll(() => {
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });
  const newDataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "switchyard-e2e-"));
    dataDirs.push(dir);
    return dir;
  };
  return {
    newDataDir,
    /** Starts `npm start`'s program on `dataDir` (a new one when not given). */
    async start(dataDir = newDataDir(), env: Record<string, string> = {}) {
      const runtime = await startLocalRuntime({
        SWITCHYARD_DATA_DIR: dataDir,
        ...defaults,
        ...env,
      });
      runtimes.push(runtime);
      return runtime;
    },
  };
}
