/**
 * Prints what `capacity-meter.ts` counted in one scenario, per event: the emulator calls, the
 * units AWS bills (DynamoDB by table, index and item kind; the hottest partitions; SQS, EventBridge,
 * Lambda, API Gateway), and at the end the cost of a million events for each scenario.
 */

import { keyPattern, TABLE_TARGET } from "./capacity-units.ts";
import {
  costPerMillion,
  LAMBDA_SIZES,
  LOG_BYTES_PER_EVENT,
  type PerEvent,
  XRAY_SAMPLED,
} from "./cost-model.ts";
import { byField, KEYS, type Tally, total } from "./tally.ts";

/** A partition takes at most this many write units a second. */
const PARTITION_WRITE_UNITS_PER_SECOND = 1_000;

export interface ScenarioCounts {
  title: string;
  /** What one event is called in the titles: "delivered event", "dead-lettered event". */
  unit: string;
  events: number;
  elapsedSeconds: number;
  tally: Tally;
}

/** The emulator calls per event, by operation, as the bench always printed them. */
export function printCalls(scenario: ScenarioCounts) {
  const calls = byField(scenario.tally, KEYS.call);
  const perEvent = (operation: string) => (calls.get(operation) ?? 0) / scenario.events;
  const rows = [...calls.keys()]
    .filter((operation) => !operation.endsWith("ReceiveMessage"))
    .sort();
  console.log(`emulator calls per ${scenario.unit} (${scenario.title}):`);
  for (const operation of rows)
    console.log(`  ${operation.padEnd(32)} ${fixed(perEvent(operation))}`);
  const sum = rows.reduce((sum, operation) => sum + perEvent(operation), 0);
  console.log(`  ${"total (without receives)".padEnd(32)} ${fixed(sum)}`);
  const receives = [...calls].filter(([operation]) => operation.endsWith("ReceiveMessage"));
  const receiveCount = receives.reduce((sum, [, count]) => sum + count, 0);
  console.log(
    `  SQS ReceiveMessage: ${receiveCount} in ${scenario.elapsedSeconds.toFixed(1)} s, idle long polls included (every poller asks at least once a second)`,
  );
}

/** The measured per-event counts the cost model prices. */
export function perEvent(scenario: ScenarioCounts): PerEvent {
  const { tally, events } = scenario;
  return {
    apiRequests: total(tally, KEYS.api) / events,
    invocations: Object.fromEntries(
      [...byField(tally, KEYS.lambda)].map(([name, count]) => [name, count / events]),
    ),
    writeUnits: total(tally, KEYS.writeUnits) / events,
    readUnits: total(tally, KEYS.readUnits) / events,
    eventBridgeEvents: total(tally, KEYS.eventBridge, "events") / events,
    sqsRequests: total(tally, KEYS.sqs) / events,
  };
}

/** The units AWS bills per event, as measured. */
export function printUnits(scenario: ScenarioCounts) {
  const { tally, events } = scenario;
  const each = (value: number) => fixed(value / events);
  const rows: string[][] = [];
  const line = (label: string, value: string, note = "") => rows.push([label, value, note]);

  const writes = byField(tally, KEYS.writeUnits);
  line("DynamoDB write units", each(total(tally, KEYS.writeUnits)));
  for (const [target, units] of sortedTargets(writes)) line(`  ${target}`, each(units));
  const failed = total(tally, KEYS.failedConditions);
  if (failed > 0) line("  of which failed conditional writes", each(failed));

  const reads = byField(tally, KEYS.readUnits);
  line("DynamoDB read units", each(total(tally, KEYS.readUnits)));
  for (const [read, units] of [...reads].sort()) line(`  ${read}`, each(units));

  const sqs = byField(tally, KEYS.sqs);
  line("SQS requests (64 KB chunks)", each(total(tally, KEYS.sqs)));
  for (const [operation, count] of [...sqs].sort()) {
    const note =
      operation === "ReceiveMessage"
        ? `receives that returned messages: ${fixed(total(tally, KEYS.receive, "messages") / count)} a receive`
        : "";
    line(`  ${operation}`, each(count), note);
  }
  line(
    "EventBridge events (64 KB chunks)",
    each(total(tally, KEYS.eventBridge, "events")),
    `${each(total(tally, KEYS.eventBridge, "entries"))} PutEvents entries`,
  );
  line("Lambda invocations", each(total(tally, KEYS.lambda)));
  for (const [name, count] of [...byField(tally, KEYS.lambda)].sort())
    line(`  ${name}`, each(count));
  line("API requests", each(total(tally, KEYS.api)));

  console.log(`billed units per ${scenario.unit}, as counted on the local runtime:`);
  printTable(rows, "  ", "lrl");
  console.log(`  DynamoDB write units by item kind:`);
  printTable(kindMatrix(scenario), "    ");
  printHotPartitions(scenario);
  const empty = total(tally, KEYS.receive, "empty");
  const other = [...byField(tally, KEYS.sqsOther)].map(([name, count]) => `${count} ${name}`);
  console.log(
    `  not per event: ${empty} empty receives in ${scenario.elapsedSeconds.toFixed(1)} s (idle long polls: in AWS a fixed monthly cost of the pollers)${other.length ? `; ${other.join(", ")} (the local alarm's queue-depth reads)` : ""}`,
  );
}

/** Write units per event, one row per item kind, one column per table and index. */
function kindMatrix({ tally, events }: ScenarioCounts): string[][] {
  const targets = sortedTargets(byField(tally, KEYS.writeUnits)).map(([target]) => target);
  const cells = new Map<string, number>();
  const kinds = new Map<string, number>();
  for (const [key, units] of tally) {
    const [measure, target = "", kind = ""] = key.split("\t");
    if (measure !== KEYS.writeUnits) continue;
    cells.set(`${kind}\t${target}`, (cells.get(`${kind}\t${target}`) ?? 0) + units);
    kinds.set(kind, (kinds.get(kind) ?? 0) + units);
  }
  const rows = [["kind", ...targets, "total"]];
  for (const [kind, units] of [...kinds].sort((a, b) => b[1] - a[1])) {
    const row = targets.map((target) => {
      const value = cells.get(`${kind}\t${target}`);
      return value === undefined ? "" : fixed(value / events);
    });
    rows.push([kind, ...row, fixed(units / events)]);
  }
  return rows;
}

/**
 * Every partition key value's write units over the scenario, per event: the top three, and the
 * rate of events the hottest allows before it reaches a partition's 1,000 WU/s.
 */
function printHotPartitions({ tally, events }: ScenarioCounts) {
  const partitions = [...tally]
    .filter(([key]) => key.startsWith(`${KEYS.partitionUnits}\t`))
    .map(([key, units]) => {
      const [, target = "", value = ""] = key.split("\t");
      return { target, value, perEvent: units / events };
    })
    .sort((a, b) => b.perEvent - a.perEvent)
    .slice(0, 3);
  const hottest = partitions[0];
  if (!hottest) return;
  console.log(
    `  hottest partition keys (WU per event; one partition takes ${PARTITION_WRITE_UNITS_PER_SECOND.toLocaleString("en-US")} WU/s):`,
  );
  printTable(
    partitions.map(({ target, value, perEvent }) => [
      target,
      keyPattern(value),
      fixed(perEvent),
      `ceiling ${Math.floor(PARTITION_WRITE_UNITS_PER_SECOND / perEvent).toLocaleString("en-US")} events/s`,
    ]),
    "    ",
    "llrl",
  );
}

/** The cost of a million events of each scenario, side by side. */
export function printCosts(scenarios: ScenarioCounts[]) {
  const bills = scenarios.map((scenario) => costPerMillion(perEvent(scenario)));
  const items = bills[0]?.map((line) => line.item) ?? [];
  console.log(
    "cost per million events at us-east-1 list prices (README, What it costs): counts measured above; assumed: prices, Lambda memory × billed time per invocation",
  );
  console.log(
    `(${Object.entries(LAMBDA_SIZES)
      .map(([name, size]) => `${name} ${size.memoryMb} MB × ${size.milliseconds} ms`)
      .join(
        ", ",
      )}, others as the trigger), X-Ray recording ${XRAY_SAMPLED * 100} % of invocations, ${LOG_BYTES_PER_EVENT / 1000} KB of logs per event:`,
  );
  const rows = [["", ...scenarios.map((scenario) => scenario.title)]];
  items.forEach((item, index) => {
    rows.push([item, ...bills.map((bill) => `$${(bill[index]?.dollars ?? 0).toFixed(2)}`)]);
  });
  printTable(rows, "  ");
}

/** The table first, then the indexes by name. */
function sortedTargets(units: Map<string, number>): [string, number][] {
  const order = (name: string) => (name === TABLE_TARGET ? "" : name);
  return [...units].sort(([a], [b]) => (order(a) < order(b) ? -1 : 1));
}

/**
 * Columns padded to their widest cell, each aligned as `align` says (`l` or `r`, one letter a
 * column): by default the first left, the others right.
 */
function printTable(rows: string[][], indent: string, align = "l") {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, column) => {
      widths[column] = Math.max(widths[column] ?? 0, cell.length);
    });
  }
  for (const row of rows) {
    const cells = row.map((cell, column) =>
      (align[column] ?? "r") === "l"
        ? cell.padEnd(widths[column] ?? 0)
        : cell.padStart(widths[column] ?? 0),
    );
    console.log(`${indent}${cells.join("  ")}`.trimEnd());
  }
}

function fixed(value: number): string {
  return value.toFixed(2);
}
