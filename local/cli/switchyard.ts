/**
 * `switchyard` (`npx switchyard …`, or `npm run switchyard -- …`): the terminal's view of
 * Switchyard — deliveries and the DLQ, retries, redrives and purges, replays, triggers. It
 * talks to the runtime `npm start` runs (found through its data dir) or, with `--api` and
 * `--key`, to any deployment. Every command takes `--json`; a failure is one line on stderr
 * and exit code 1.
 */
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import pc from "picocolors";
import { type ApiTarget, CliError, callApi, resolveTarget } from "./api-client.ts";
import { createAppIn } from "./apps.ts";
import { everyBatch } from "./batches.ts";
import {
  type DeliveryRow,
  deliveriesTable,
  lastAnswer,
  morePages,
  status,
  table,
} from "./output.ts";
import { tailDeliveries } from "./tail.ts";

interface Globals {
  api?: string;
  key?: string;
  json?: boolean;
}

type Page<T> = { data: T[]; next_cursor: string | null };

const program = new Command("switchyard")
  .description("Switchyard from the terminal: deliveries, dead letters, retries, replays, triggers")
  .addOption(new Option("--api <url>", "a deployment's API (default: the running npm start)"))
  .addOption(
    new Option(
      "--key <key>",
      "the app's API key (default: SWITCHYARD_API_KEY, or the local app's)",
    ),
  )
  .option("--json", "print the API's answers as JSON")
  .showHelpAfterError("(switchyard --help lists the commands)");

/** The command's context: where to call, and how to print. */
function contextOf(command: Command) {
  const globals = command.optsWithGlobals<Globals>();
  const target: ApiTarget = resolveTarget(globals);
  const print = (answer: unknown, human: () => string) =>
    console.log(globals.json ? JSON.stringify(answer, null, 2) : human());
  return { target, json: globals.json === true, print };
}

const query = (values: Record<string, string | undefined>) => {
  const defined = Object.entries(values).filter(
    (entry): entry is [string, string] => entry[1] !== undefined,
  );
  return defined.length === 0 ? "" : `?${new URLSearchParams(defined).toString()}`;
};

program
  .command("apps")
  .description("apps and their API keys")
  .command("create")
  .description("a new app and its API key, shown this once")
  .requiredOption("--name <name>", "the app's name")
  .option("--stack <name>", "in a deployed stack's table (ordinary AWS credentials)")
  .action(async (options, command: Command) => {
    const { json } = command.optsWithGlobals<Globals>();
    const created = await createAppIn({ name: options.name, stack: options.stack });
    console.log(
      json
        ? JSON.stringify(created, null, 2)
        : [
            `app_id:  ${created.app_id}`,
            `name:    ${created.name}`,
            `api_key: ${created.api_key}`,
            "",
            "Keep the key now: it is stored hashed and cannot be shown again.",
          ].join("\n"),
    );
  });

const deliveries = program.command("deliveries").description("the delivery log");
deliveries
  .command("list")
  .description("deliveries, newest first")
  .option("--status <status>", "pending, succeeded, failed, dead_lettered or discarded")
  .option("--webhook <id>", "one subscription's")
  .option("--workflow <id>", "one workflow's")
  .option("--event <id>", "one event's")
  .option("--limit <n>", "at most this many (the API's default 50, at most 200)")
  .option("--cursor <cursor>", "the page after the one that printed it")
  .action(async (options, command: Command) => {
    const { target, print } = contextOf(command);
    const path = `/api/v2/deliveries${query({
      status: options.status,
      webhook_id: options.webhook,
      workflow_id: options.workflow,
      event_id: options.event,
      limit: options.limit,
      cursor: options.cursor,
    })}`;
    await printDeliveries(target, path, print);
  });
deliveries
  .command("show <id>")
  .description("one delivery: its request body and every attempt")
  .action(async (id: string, _options, command: Command) => showDelivery(command, id));
deliveries
  .command("retry <id>")
  .description("send an ended delivery again (same webhook-id, a fresh round of retries)")
  .action(async (id: string, _options, command: Command) => {
    const { target, print } = contextOf(command);
    const answer = (await callApi(
      target,
      "POST",
      `/api/v2/deliveries/${encodeURIComponent(id)}/retry`,
    )) as DeliveryRow;
    print(answer, () => `${answer.id} ${status(answer.status)}: it goes out again`);
  });

deliveries
  .command("tail")
  .description("follow new attempts live, one line each, until Ctrl-C")
  .option("--interval <ms>", "how often to look", "1000")
  .action(async (options, command: Command) => {
    const { target, json } = contextOf(command);
    const stop = new AbortController();
    process.once("SIGINT", () => stop.abort());
    process.once("SIGTERM", () => stop.abort());
    if (!json) console.error(pc.dim(`following ${target.api} (Ctrl-C to stop)`));
    await tailDeliveries(target, {
      json,
      intervalMs: Number(options.interval),
      signal: stop.signal,
      print: (line) => console.log(line),
    });
  });

const dlq = program.command("dlq").description("the dead-letter queue");
dlq
  .command("list")
  .description("dead-lettered deliveries, newest first")
  .option("--limit <n>", "at most this many")
  .option("--cursor <cursor>", "the page after the one that printed it")
  .action(async (options, command: Command) => {
    const { target, print } = contextOf(command);
    const path = `/api/v2/dlq${query({ limit: options.limit, cursor: options.cursor })}`;
    await printDeliveries(target, path, print);
  });
dlq
  .command("show <id>")
  .description("one dead letter: its request body and every attempt")
  .action(async (id: string, _options, command: Command) => showDelivery(command, id));
for (const [name, verb, counted] of [
  ["redrive", "send again", "redriven"],
  ["purge", "take out without sending (they stay in the log as discarded)", "purged"],
] as const) {
  dlq
    .command(`${name} [ids...]`)
    .description(`${verb}: the ids given, or with --all every dead letter a selection matches`)
    .option("--all", "every dead letter the selection matches, 100 a call until none remain")
    .option("--webhook <id>", "only this subscription's")
    .option("--workflow <id>", "only this workflow's")
    .option("--since <time>", "created at or after (ISO 8601)")
    .option("--until <time>", "created at or before (ISO 8601)")
    .option("--cursor <cursor>", "with --all: go on from where a stopped run said")
    .action(async (ids: string[], options, command: Command) => {
      const { target, json, print } = contextOf(command);
      const selection = {
        webhook_id: options.webhook,
        workflow_id: options.workflow,
        since: options.since,
        until: options.until,
      };
      if (
        ids.length > 0 &&
        (options.all || Object.values(selection).some((value) => value !== undefined))
      ) {
        throw new CliError("give dead-letter ids, or --all with a selection, not both");
      }
      if (ids.length === 0 && !options.all) throw new CliError("give dead-letter ids, or --all");
      const path = `/api/v2/dlq/${name}`;
      if (ids.length > 0) {
        const answer = (await callApi(target, "POST", path, { body: { ids } })) as Record<
          string,
          unknown
        >;
        print(answer, () => summary(answer, counted));
        return;
      }
      const { total, skipped } = await everyBatch(target, {
        path,
        body: selection,
        cursor: options.cursor,
        counted,
        label: name,
        json,
      });
      const answer = { [counted]: total, skipped, remaining: false, next_cursor: null };
      print(answer, () => summary(answer, counted));
    });
}

const events = program.command("events").description("event definitions and stored events");
events
  .command("list")
  .description("the app's event definitions")
  .action(async (_options, command: Command) => {
    const { target, print } = contextOf(command);
    const page = (await callApi(target, "GET", "/api/v2/events")) as Page<{
      slug: string;
      name: string;
      strict: boolean;
    }>;
    print(page, () =>
      table(
        ["slug", "name", "strict"],
        page.data.map((d) => [d.slug, d.name, d.strict ? "yes" : "no"]),
      ),
    );
  });
events
  .command("replay <event_id>")
  .description("route a stored event again, to what matches it now (new deliveries)")
  .action(async (eventId: string, _options, command: Command) => {
    const { target, print } = contextOf(command);
    const answer = (await callApi(
      target,
      "POST",
      `/api/v2/events/${encodeURIComponent(eventId)}/replay`,
    )) as { replay: number };
    print(answer, () => `${eventId}: replay ${answer.replay} is on its way`);
  });

const webhooks = program.command("webhooks").description("webhook subscriptions");
webhooks
  .command("list")
  .description("the app's subscriptions")
  .action(async (_options, command: Command) => {
    const { target, print } = contextOf(command);
    const page = (await callApi(target, "GET", "/api/v2/webhooks")) as Page<{
      id: string;
      url: string;
      events: string[];
      enabled: boolean;
    }>;
    print(page, () =>
      table(
        ["id", "url", "events", "enabled"],
        page.data.map((w) => [w.id, w.url, w.events.join(", "), w.enabled ? "yes" : pc.red("no")]),
      ),
    );
  });
webhooks
  .command("replay <id>")
  .description(
    "send a subscription the stored events of a window that it matches now, oldest first (new deliveries)",
  )
  .requiredOption("--since <time>", "events triggered at or after (ISO 8601)")
  .option("--until <time>", "events triggered at or before (ISO 8601; default: now)")
  .option("--cursor <cursor>", "go on from where a stopped run said")
  .action(async (id: string, options, command: Command) => {
    const { target, json, print } = contextOf(command);
    const { total } = await everyBatch(target, {
      path: `/api/v2/webhooks/${encodeURIComponent(id)}/replay`,
      body: { since: options.since, until: options.until },
      cursor: options.cursor,
      counted: "replayed",
      label: "replay",
      json,
    });
    const answer = { replayed: total, next_cursor: null };
    print(answer, () => `replayed: ${total} events to ${id}`);
  });

program
  .command("trigger <slug>")
  .description("trigger an event for a linked account")
  .requiredOption("--linked-account <id>", "the customer it is for")
  .option("--payload <json|@file>", "the payload: JSON, or @ and a file holding it", "{}")
  .action(async (slug: string, options, command: Command) => {
    const { target, print } = contextOf(command);
    const answer = (await callApi(
      target,
      "POST",
      `/api/v2/public/event/${encodeURIComponent(slug)}`,
      {
        body: { payload: payloadOf(options.payload) },
        headers: { linked_account_id: options.linkedAccount },
      },
    )) as { event_id: string };
    print(answer, () => `${answer.event_id} accepted`);
  });

/** A page of deliveries as a table, and how to ask for the next. */
async function printDeliveries(
  target: ApiTarget,
  path: string,
  print: (answer: unknown, human: () => string) => void,
) {
  const page = (await callApi(target, "GET", path)) as Page<DeliveryRow>;
  print(page, () =>
    [deliveriesTable(page.data), morePages(page.next_cursor)].filter(Boolean).join("\n"),
  );
}

async function showDelivery(command: Command, id: string) {
  const { target, print } = contextOf(command);
  const delivery = (await callApi(
    target,
    "GET",
    `/api/v2/deliveries/${encodeURIComponent(id)}`,
  )) as DeliveryRow & {
    url: string;
    request_body: string;
    attempts: {
      attempt: number;
      at: string;
      status_code: number | null;
      duration_ms: number;
      error: string | null;
      response_body: string | null;
    }[];
  };
  print(delivery, () =>
    [
      `${pc.bold(delivery.id)}  ${status(delivery.status)}${delivery.status_reason ? pc.dim(` (${delivery.status_reason})`) : ""}`,
      `event ${delivery.event_type} · ${delivery.target.type} ${delivery.target.id} · ${delivery.url}`,
      `request ${delivery.request_body}`,
      table(
        ["#", "at", "answer", "ms", "response"],
        delivery.attempts.map((a) => [
          a.attempt,
          a.at,
          lastAnswer(a) || "ok",
          a.duration_ms,
          (a.response_body ?? "").slice(0, 60),
        ]),
      ),
    ].join("\n"),
  );
}

function summary(answer: Record<string, unknown>, counted: string): string {
  const skipped = (answer.skipped as string[] | undefined) ?? [];
  return [
    `${counted}: ${answer[counted]}`,
    ...(skipped.length > 0 ? [`skipped (not dead-lettered): ${skipped.join(", ")}`] : []),
  ].join("\n");
}

/** `--payload`: JSON, or `@file` holding JSON; a bad one is the user's to fix, in one line. */
function payloadOf(given: string): unknown {
  const text = given.startsWith("@") ? readPayloadFile(given.slice(1)) : given;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`--payload is not JSON: ${(error as Error).message}`);
  }
}

function readPayloadFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new CliError(`--payload @${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}

program.parseAsync().catch((error: unknown) => {
  if (error instanceof CliError) {
    console.error(`switchyard: ${error.message}`);
  } else {
    console.error(`switchyard: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exitCode = 1;
});
