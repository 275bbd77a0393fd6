/**
 * `npm start`: Switchyard on this machine. Settings come from the environment (SPEC §5):
 * PORT, SWITCHYARD_DATA_DIR, SWITCHYARD_API_KEY, SWITCHYARD_RETRY_BASE_SECONDS,
 * SWITCHYARD_MAX_RETRIES, SWITCHYARD_DELIVERY_TIMEOUT_SECONDS, SWITCHYARD_ALLOW_PRIVATE_URLS,
 * SWITCHYARD_REQUIRE_HTTPS, SWITCHYARD_RETENTION_DAYS.
 *
 * The npm script `exec`s node: npm forwards SIGTERM and SIGINT to its own child only, and a
 * shell between npm and node would die of the signal and leave this process running.
 */
import { join, relative } from "node:path";
import type { Config } from "../functions/config.ts";
import { lockDataDir } from "./instance-lock.ts";
import { renderHandlerLogs } from "./readable-logs.ts";
import type { Runtime } from "./runtime.ts";
import { type LocalSettings, localSettings } from "./settings.ts";

// Handlers log as they do on Lambda. At INFO that is one line per delivery outcome; the JSON
// lines are shown one short line each, unless SWITCHYARD_LOG_FORMAT=json asks for them as is.
process.env.POWERTOOLS_LOG_LEVEL ??= "INFO";
if (process.env.SWITCHYARD_LOG_FORMAT !== "json") renderHandlerLogs();

const startedAt = performance.now();
const onError = (error: unknown) =>
  console.error("switchyard:", error instanceof Error ? error.message : error);

let runtime: Runtime | undefined;

// Listening for signals before anything is printed: whoever reads the banner may send one at
// once, and an unhandled SIGTERM would end the process without releasing the data dir.
let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: finishing deliveries in flight and stopping…`);
  // Whatever happens while draining, the process ends within a few seconds.
  setTimeout(() => process.exit(1), 8_000).unref();
  await runtime?.stop();
  console.log("Stopped.");
  process.exit(0);
};
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));

let settings: LocalSettings | undefined;
try {
  settings = localSettings();
  const lock = lockDataDir(settings.dataDir);
  process.on("exit", () => lock.release());
  // Loaded only now: the handlers read their configuration as they load, so a bad setting
  // would otherwise surface as a stack trace from an import instead of as one line below.
  const { startRuntime } = await import("./runtime.ts");
  runtime = await startRuntime(settings, onError);
  const ms = Math.round(performance.now() - startedAt);
  const keyFile = join(shortPath(settings.dataDir), "local-app.json");
  const origin = {
    environment: "from SWITCHYARD_API_KEY",
    generated: `new; kept in ${keyFile}`,
    "data dir": `kept in ${keyFile}`,
  }[runtime.app.origin];
  console.log(
    [
      `Switchyard is running (started in ${ms} ms)`,
      "",
      `  API        ${runtime.apiUrl}`,
      `  API key    ${runtime.app.apiKey}  (${origin})`,
      `  App        ${runtime.app.appId}`,
      `  Data dir   ${settings.dataDir}`,
      `  Settings   ${describe(runtime.config)}`,
      "",
      `Try: curl ${runtime.apiUrl}/health`,
      "Stop with Ctrl-C.",
    ].join("\n"),
  );
} catch (error) {
  // One line and no stack trace: start failures say which setting or state to change.
  console.error(`switchyard: could not start: ${startFailure(error, settings)}`);
  process.exit(1);
}

function describe(config: Config): string {
  return [
    `retries ${config.retry.maxRetries}`,
    `retry base ${config.retry.baseSeconds} s`,
    `delivery timeout ${config.deliveryTimeoutMs / 1000} s`,
    config.allowPrivateUrls ? "private URLs allowed" : "private URLs refused",
    config.requireHttps ? "https required" : "http allowed",
  ].join(" · ");
}

/** A path relative to here when it is below here, else as it is. */
function shortPath(path: string): string {
  const below = relative(process.cwd(), path);
  return below && !below.startsWith("..") ? below : path;
}

/** What stopped the start, said in terms of the setting to change. */
function startFailure(error: unknown, settings: LocalSettings | undefined): string {
  if (error instanceof Error && "code" in error && error.code === "EADDRINUSE" && settings) {
    return `PORT ${settings.port} is in use on 127.0.0.1; stop what holds it or set PORT (0 picks a free port)`;
  }
  return error instanceof Error ? error.message : String(error);
}
