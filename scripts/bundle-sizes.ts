/**
 * `npm run bundle-sizes [-- --runs N]`: bundles every Lambda entry as the stack does
 * (infra/bundling.ts) and prints, for each, the size of its files and of those a cold start
 * reads, the packages that weigh most there, and how long a fresh Node takes to import it —
 * the cold-start cost — against the 60 ms budget.
 *
 * Each import is a new process of the Node running this script (under `npm run`, the project's
 * Node 24 devDependency, as the first line shows), which imports the bundle as Lambda's
 * runtime does (`import()`) and checks that it exports a handler. Two figures per function:
 * the import alone, which the budget is for, and the import as the stack runs it, with its
 * NODE_OPTIONS (`--enable-source-maps`), where Node also reads the files' source maps.
 * The functions take turns, round after round, so a burst of load elsewhere on the machine
 * falls on all of them alike; each figure is the median of the rounds. Timings are only worth
 * comparing on an idle machine: the load average is printed with them. The last row, the SDK
 * floor, is the DynamoDB client alone: what no function can import in less.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { Metafile } from "esbuild";
import {
  BUNDLE_FILE,
  bundleEntry,
  bundleFunction,
  loadedAtStart,
  NODE_OPTIONS,
} from "../infra/bundling.ts";

/** The import time each function's bundle must stay within (median, fresh Node). */
const BUDGET_MS = 60;
const FUNCTIONS = ["trigger", "api", "fanout", "runner", "deliverer", "dead-letters"];
/**
 * Timed beside the functions, not held to the budget: the DynamoDB client alone, bundled the
 * same way (scripts/cold-start-floor), the least any function imports.
 */
const FLOOR = "(sdk floor)";
const FLOOR_ENTRY = fileURLToPath(new URL("cold-start-floor/handler.ts", import.meta.url));

const { values } = parseArgs({ options: { runs: { type: "string", default: "21" } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be a whole number ≥ 1");

const outdir = mkdtempSync(join(tmpdir(), "switchyard-bundles-"));
try {
  const bundles = [...FUNCTIONS, FLOOR].map((name, index) => {
    const dir = join(outdir, String(index));
    const metafile = name === FLOOR ? bundleEntry(FLOOR_ENTRY, dir) : bundleFunction(name, dir);
    return { name, file: join(dir, BUNDLE_FILE), ...sizes(metafile) };
  });
  const plain = new Map<string, number[]>(bundles.map(({ name }) => [name, []]));
  const mapped = new Map<string, number[]>(bundles.map(({ name }) => [name, []]));

  const loadBefore = loadavg()[0] ?? 0;
  for (let round = 0; round < runs; round += 1) {
    for (const { name, file } of bundles) {
      plain.get(name)?.push(timeImport(file, ""));
      mapped.get(name)?.push(timeImport(file, NODE_OPTIONS));
    }
  }
  const loadAfter = loadavg()[0] ?? 0;

  const node = execFileSync(process.execPath, ["--version"]).toString().trim();
  console.log(
    `Node ${node} (${process.execPath}); ${runs} imports of each bundle each way; ` +
      `load average ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)}`,
  );
  console.log(
    `function       bundle  read at start   import: median (min–max)  ≤ ${BUDGET_MS} ms` +
      `   with ${NODE_OPTIONS}   largest at start`,
  );
  let over = 0;
  for (const { name, total, atStart, top } of bundles) {
    const times = plain.get(name) ?? [];
    const median = medianOf(times);
    const held = name !== FLOOR;
    if (held && median > BUDGET_MS) over += 1;
    console.log(
      [
        name.padEnd(12),
        kb(total).padStart(8),
        kb(atStart).padStart(14),
        `  ${ms(median).padStart(4)} ms (${ms(Math.min(...times))}–${ms(Math.max(...times))})`.padEnd(
          25,
        ),
        (held ? (median <= BUDGET_MS ? "yes" : "NO") : "-").padEnd(9),
        `${ms(medianOf(mapped.get(name) ?? [])).padStart(4)} ms`.padEnd(29),
        top.map(([pkg, size]) => `${pkg} ${kb(size)}`).join(", "),
      ].join(" "),
    );
  }
  console.log(
    over === 0
      ? `Every bundle imports within ${BUDGET_MS} ms.`
      : `${over} of ${FUNCTIONS.length} bundles take longer than ${BUDGET_MS} ms to import.`,
  );
} finally {
  rmSync(outdir, { recursive: true, force: true });
}

/** The bytes of all the bundle's code, of what a cold start reads, and its largest packages. */
function sizes(metafile: Metafile) {
  const code = Object.entries(metafile.outputs).filter(([path]) => !path.endsWith(".map"));
  const atStart = new Set(loadedAtStart(metafile));
  const packages = new Map<string, number>();
  for (const path of atStart) {
    for (const [input, { bytesInOutput }] of Object.entries(metafile.outputs[path]?.inputs ?? {})) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? "switchyard";
      packages.set(pkg, (packages.get(pkg) ?? 0) + bytesInOutput);
    }
  }
  return {
    total: code.reduce((sum, [, { bytes }]) => sum + bytes, 0),
    atStart: code.reduce((sum, [path, { bytes }]) => sum + (atStart.has(path) ? bytes : 0), 0),
    top: [...packages.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3),
  };
}

/**
 * Milliseconds a fresh Node takes to import the bundle: its files read and compiled (and their
 * source maps read, under --enable-source-maps), their top-level code (clients, loggers,
 * schemas) run. Fails unless it exports a handler, so a bundle that loads nothing usable
 * cannot pass for a fast one.
 */
function timeImport(file: string, nodeOptions: string): number {
  const script = [
    "const start = performance.now();",
    `const bundle = await import(${JSON.stringify(pathToFileURL(file).href)});`,
    "const ms = performance.now() - start;",
    'if (typeof bundle.handler !== "function") throw new Error("the bundle exports no handler");',
    "console.log(ms);",
  ].join("\n");
  const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    env: {
      ...process.env,
      NODE_OPTIONS: nodeOptions,
      AWS_REGION: "us-east-1",
      POWERTOOLS_LOG_LEVEL: "SILENT",
    },
  });
  return Number(output.toString());
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KB`;
}

function ms(value: number): string {
  return value.toFixed(0);
}
