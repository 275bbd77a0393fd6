import { fileURLToPath } from "node:url";
import type { BuildOptions } from "esbuild";

/**
 * How every function is bundled: by `SwitchyardFunction` at synth, and by
 * `npm run bundle-sizes` and the bundle tests (`esbuildOptionsFor`) to see what Lambda gets.
 */
export const BUNDLING = {
  target: "node24",
  minify: true,
  sourceMap: true,
  // The source map gives stack traces their TypeScript lines (NODE_OPTIONS below), which need
  // only its mappings: without the sources' text it is a third of the size, and Node reads and
  // parses it while the bundle loads.
  sourcesContent: false,
  // CommonJS, not ESM: an ESM import of a Node builtin builds the builtin's ESM facade, which
  // reads every export — `node:http`'s include lazy getters that load undici (~35 ms), `node:fs`'s
  // its streams — while require() returns the module as it is. The dependencies' ESM builds
  // are still what is bundled (`mainFields`), so they tree-shake as before.
  format: "cjs",
  mainFields: ["module", "main"],
  // Bundle the AWS SDK too: the version tested is the version that runs, and one bundled
  // file loads faster than the runtime's copy spread over many.
  externalModules: [] as string[],
} as const;

/**
 * Every function's NODE_OPTIONS: stack traces in its logs point into the TypeScript sources,
 * through the bundle's source map.
 */
export const NODE_OPTIONS = "--enable-source-maps";

/** The bundle's file name in the function's asset, as CDK names it for the format. */
export const BUNDLE_FILE = { cjs: "index.js", esm: "index.mjs" }[BUNDLING.format];

/**
 * esbuild's options for the function under `functions/<name>/`, the ones CDK passes its
 * esbuild at synth, for tools that bundle without a synth.
 */
export function esbuildOptionsFor(name: string, outfile: string): BuildOptions {
  return {
    entryPoints: [fileURLToPath(new URL(`../functions/${name}/handler.ts`, import.meta.url))],
    bundle: true,
    platform: "node",
    target: BUNDLING.target,
    format: BUNDLING.format,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    mainFields: [...BUNDLING.mainFields],
    external: BUNDLING.externalModules,
    outfile,
  };
}
