/**
 * `npm run bundle-sizes`: bundles every Lambda entry with the stack's own options
 * (infra/bundling.ts: ESM, minified, Node 24, AWS SDK included) and prints each bundle's size
 * from esbuild's metafile and how long a fresh Node takes to import it — the cold-start cost.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { BUNDLING } from "../infra/bundling.ts";

const entries = ["trigger", "api", "fanout", "deliverer", "dead-letters"];
const outdir = mkdtempSync(join(tmpdir(), "switchyard-bundles-"));

console.log("function     bundle      largest inputs");
for (const name of entries) {
  const result = await build({
    entryPoints: [`functions/${name}/handler.ts`],
    bundle: true,
    minify: BUNDLING.minify,
    format: "esm",
    platform: "node",
    target: BUNDLING.target,
    mainFields: [...BUNDLING.mainFields],
    external: BUNDLING.externalModules,
    outfile: join(outdir, name, "index.mjs"),
    metafile: true,
    banner: { js: BUNDLING.banner },
    logLevel: "error",
  });
  const [output] = Object.values(result.metafile.outputs);
  const inputs = Object.entries(output?.inputs ?? {})
    .map(([path, info]) => [packageOf(path), info.bytesInOutput] as const)
    .reduce(
      (sizes, [pkg, bytes]) => sizes.set(pkg, (sizes.get(pkg) ?? 0) + bytes),
      new Map<string, number>(),
    );
  const top = [...inputs.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3);
  writeFileSync(join(outdir, name, "package.json"), '{"type":"module"}');
  const importMs = timeImport(join(outdir, name, "index.mjs"));
  console.log(
    `${name.padEnd(12)} ${kb(output?.bytes ?? 0).padStart(9)}   import ${importMs.toFixed(0)} ms; ${top
      .map(([pkg, bytes]) => `${pkg} ${kb(bytes)}`)
      .join(", ")}`,
  );
}
rmSync(outdir, { recursive: true, force: true });

function packageOf(path: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return match?.[1] ?? "switchyard";
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KB`;
}

/** Median of five imports in a fresh Node with the Lambda's environment shape. */
function timeImport(file: string): number {
  const script = `const t=performance.now();await import(${JSON.stringify(file)});console.log(performance.now()-t)`;
  const times = Array.from({ length: 5 }, () =>
    Number(
      execFileSync(process.execPath, ["--input-type=module", "-e", script], {
        env: { ...process.env, AWS_REGION: "us-east-1", POWERTOOLS_LOG_LEVEL: "SILENT" },
      }).toString(),
    ),
  ).sort((a, b) => a - b);
  return times[2] ?? 0;
}
