/**
 * The handlers log JSON lines (Powertools Logger), as on Lambda. On a terminal that is hard
 * to read, so `npm start` renders each line as one short line instead:
 *
 *   01:28:00.123 INFO  deliverer  delivery succeeded  delivery_id=msg_… attempt=1 status_code=200
 *
 * It works with Powertools' development mode, in which loggers write through the global
 * console: `renderHandlerLogs` must run before the handlers' loggers are made.
 */
type Method = "log" | "info" | "warn" | "error" | "debug";

/**
 * Context keys every line carries on Lambda, and the app (locally there is one, as a rule):
 * here they say nothing.
 */
const HIDDEN = new Set([
  "app_id",
  "level",
  "message",
  "timestamp",
  "service",
  "cold_start",
  "function_arn",
  "function_memory_size",
  "function_name",
  "function_request_id",
  "sampling_rate",
  "xray_trace_id",
]);

export function renderHandlerLogs(): void {
  process.env.POWERTOOLS_DEV = "true";
  for (const method of ["log", "info", "warn", "error", "debug"] as Method[]) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      const line = args.length === 1 ? readable(args[0]) : null;
      if (line === null) original(...args);
      else original(line);
    };
  }
}

/** The one-line form of a Powertools log line; null for anything else. */
export function readable(value: unknown): string | null {
  if (typeof value !== "string" || !value.startsWith("{")) return null;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(value);
  } catch {
    return null;
  }
  if (typeof entry.level !== "string" || typeof entry.message !== "string") return null;
  const time = typeof entry.timestamp === "string" ? entry.timestamp.slice(11, 23) : "";
  const service = String(entry.service ?? "").replace(/^switchyard-/, "");
  const fields = Object.entries(entry)
    .filter(([key, field]) => !HIDDEN.has(key) && field !== undefined && field !== null)
    .map(([key, field]) => `${key}=${text(field)}`);
  return [time, entry.level.padEnd(5), service, entry.message, ...fields].join("  ").trim();
}

function text(value: unknown): string {
  if (typeof value === "string") return /\s/.test(value) ? JSON.stringify(value) : value;
  if (typeof value === "object" && value !== null && "message" in value) {
    return JSON.stringify((value as { message: unknown }).message);
  }
  return JSON.stringify(value);
}
