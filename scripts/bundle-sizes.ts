/**
 * `npm run bundle-sizes [-- --runs N]`: bundles every Lambda entry with the stack's own options
 * (infra/bundling.ts) and prints each bundle's size from esbuild's metafile and how long a
 * fresh Node takes to import it — the cold-start cost — against the 60 ms budget.
 *
 * Each import is a new process of the Node running this script (under `npm run`, the project's
 * Node 24 devDependency, as the first line shows), which imports the bundle as Lambda's
 * runtime does (`import()`) and checks that it exports a handler. Two figures per function:
 * the import alone, which the budget is for, and the import as the stack runs it, with its
 * NODE_OPTIONS (`--enable-source-maps`), where Node also reads the bundle's source map.
 * The functions take turns, round after round, so a burst of load elsewhere on the machine
 * falls on all of them alike; each figure is the median of the rounds. Timings are only worth
 * comparing on an idle machine: the load average is printed with them.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { build, type Metafile } from "esbuild";
import { BUNDLE_FILE, BUNDLING, esbuildOptionsFor, NODE_OPTIONS } from "../infra/bundling.ts";

/** The import time each function's bundle must stay within (median, fresh Node). */
const BUDGET_MS = 60;
const FUNCTIONS = ["trigger", "api", "fanout", "deliverer", "dead-letters"] as const;
const PACKAGE_TYPE = { cjs: "commonjs", esm: "module" } as const;

const { values } = parseArgs({ options: { runs: { type: "string", default: "21" } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be a whole number ≥ 1");

const outdir = mkdtempSync(join(tmpdir(), "switchyard-bundles-"));
try {
  const bundles = [];
  for (const name of FUNCTIONS) {
    bundles.push({ name, ...(await bundle(name)), plain: [] as number[], mapped: [] as number[] });
  }

  const loadBefore = loadavg()[0] ?? 0;
  for (let round = 0; round < runs; round += 1) {
    for (const entry of bundles) {
      entry.plain.push(timeImport(entry.file, ""));
      entry.mapped.push(timeImport(entry.file, NODE_OPTIONS));
    }
  }
  const loadAfter = loadavg()[0] ?? 0;

  const node = execFileSync(process.execPath, ["--version"]).toString().trim();
  console.log(
    `Node ${node} (${process.execPath}); ${runs} imports of each bundle each way; ` +
      `load average ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)}`,
  );
  console.log(
    `function       bundle   import: median (min–max)  ≤ ${BUDGET_MS} ms   with ${NODE_OPTIONS}   largest inputs`,
  );
  let over = 0;
  for (const { name, bytes, top, plain, mapped } of bundles) {
    const median = medianOf(plain);
    if (median > BUDGET_MS) over += 1;
    console.log(
      [
        name.padEnd(12),
        kb(bytes).padStart(8),
        `  ${ms(median).padStart(4)} ms (${ms(Math.min(...plain))}–${ms(Math.max(...plain))})`.padEnd(
          25,
        ),
        (median <= BUDGET_MS ? "yes" : "NO").padEnd(9),
        `${ms(medianOf(mapped)).padStart(4)} ms`.padEnd(29),
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

/** Bundles one function as `SwitchyardFunction` does; its size and its largest packages. */
async function bundle(name: string) {
  const dir = join(outdir, name);
  const file = join(dir, BUNDLE_FILE);
  const result = await build({
    ...esbuildOptionsFor(name, file),
    metafile: true,
    logLevel: "error",
  });
  // Pins the bundle's format whatever package.json lies above the temporary folder (in
  // Lambda, none lies above /var/task).
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: PACKAGE_TYPE[BUNDLING.format] }));
  const { bytes, inputs } = outputOf(result.metafile);
  return { file, bytes, top: largestPackages(inputs) };
}

function outputOf(metafile: Metafile) {
  const output = Object.entries(metafile.outputs).find(([path]) => !path.endsWith(".map"))?.[1];
  if (!output) throw new Error("esbuild wrote no bundle");
  return output;
}

function largestPackages(inputs: Record<string, { bytesInOutput: number }>) {
  const sizes = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? "switchyard";
    sizes.set(pkg, (sizes.get(pkg) ?? 0) + bytesInOutput);
  }
  return [...sizes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3);
}

/**
 * Milliseconds a fresh Node takes to import the bundle: the file read and compiled (and its
 * source map read, under --enable-source-maps), its top-level code (clients, loggers, schemas)
 * run. Fails unless it exports a handler, so a bundle that loads nothing usable cannot pass
 * for a fast one.
 */
function timeImport(file: string, nodeOptions: string): number {
  const script = [
    "const start = performance.now();",
    `const bundle = await import(${JSON.stringify(pathToFileURL(file).href)});`,
    "const ms = performance.now() - start;",
    "const handler = bundle.handler ?? bundle.default?.handler;",
    'if (typeof handler !== "function") throw new Error("the bundle exports no handler");',
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
