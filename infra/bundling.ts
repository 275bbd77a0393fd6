import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync, type Metafile } from "esbuild";

/**
 * How every function is bundled, by `SwitchyardFunction` at synth and by `npm run
 * bundle-sizes` and the bundle tests: esbuild, with the AWS SDK inside (the version tested is
 * the version that runs), as ES modules split into chunks.
 *
 * Splitting is the point. A module imported with `import()` — the SDK's own credential
 * providers, which Lambda's environment credentials make unneeded, or a client a function
 * needs only now and then — goes to a chunk that a cold start neither reads nor parses. In a
 * single file it would still be parsed, and esbuild would wrap every module it shares with
 * the rest (most of the SDK) in a function, which V8 parses twice: with the file, and again
 * when it first runs. (NodejsFunction's bundling writes one file; hence a bundler of our own.)
 */
export const BUNDLING = {
  target: "node24",
  minify: true,
  // The source maps give stack traces their TypeScript lines (NODE_OPTIONS below), which need
  // only their mappings: without the sources' text they are a third of the size, and Node
  // reads and parses each file's while the file loads.
  sourcemap: true,
  sourcesContent: false,
  mainFields: ["module", "main"],
} as const;

/**
 * Every function's NODE_OPTIONS: stack traces in its logs point into the TypeScript sources,
 * through the bundle's source maps.
 */
export const NODE_OPTIONS = "--enable-source-maps";

/** The bundle's entry file, whose `handler` Lambda calls (`index.handler`). */
export const BUNDLE_FILE = "index.mjs";

// A CommonJS dependency's require() that esbuild leaves to run time (an optional package).
const REQUIRE = `const require=process.getBuiltinModule("module").createRequire(import.meta.url);`;

/**
 * Bundles `functions/<name>/handler.ts` into `outdir`: `index.mjs`, the chunks it imports at
 * start or at first use, and their source maps. Answers esbuild's metafile.
 */
export function bundleFunction(name: string, outdir: string): Metafile {
  return bundleEntry(
    fileURLToPath(new URL(`../functions/${name}/handler.ts`, import.meta.url)),
    outdir,
  );
}

/** Bundles any entry file as a function's handler is bundled (`bundleFunction`). */
export function bundleEntry(entry: string, outdir: string): Metafile {
  const { metafile } = buildSync({
    entryPoints: { index: entry },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: BUNDLING.target,
    minify: BUNDLING.minify,
    sourcemap: BUNDLING.sourcemap,
    sourcesContent: BUNDLING.sourcesContent,
    mainFields: [...BUNDLING.mainFields],
    outdir,
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunk-[hash]",
    banner: { js: REQUIRE },
    alias: builtinsAsCommonJs(),
    metafile: true,
    logLevel: "error",
  });
  if (!metafile) throw new Error("esbuild answered no metafile");
  return metafile;
}

/**
 * Where the builtins' CommonJS modules are written: the same place at every build, so the
 * same sources give the same bundle, and the same asset hash.
 */
const BUILTINS_DIR = fileURLToPath(
  new URL("../node_modules/.cache/switchyard-node-builtins/", import.meta.url),
);

/**
 * An alias for each Node builtin (`fs` and `node:fs`) to a module that answers it as
 * CommonJS: `module.exports = process.getBuiltinModule("node:fs")`. An ES module's import of
 * a builtin would build the builtin's ESM facade, which reads every export: `node:http`'s
 * include lazy getters that load undici (~35 ms), `node:fs`'s its streams.
 */
function builtinsAsCommonJs(): Record<string, string> {
  mkdirSync(BUILTINS_DIR, { recursive: true });
  // No side effects: esbuild drops a builtin whose exports nothing uses, as it would the import.
  writeIfChanged(join(BUILTINS_DIR, "package.json"), JSON.stringify({ sideEffects: false }));
  const aliases: Record<string, string> = {};
  for (const id of builtinModules) {
    const specifier = id.startsWith("node:") ? id : `node:${id}`;
    const file = join(BUILTINS_DIR, `${specifier.slice("node:".length).replaceAll("/", "__")}.cjs`);
    writeIfChanged(file, builtinModuleSource(specifier));
    aliases[specifier] = file;
    if (!id.startsWith("node:")) aliases[id] = file;
  }
  return aliases;
}

/**
 * Builtins that a function's dependencies import at the top but call only on paths Switchyard
 * never takes: zlib (the SDK's CRC32 checksums, which neither DynamoDB nor SQS nor EventBridge
 * asks for) and node:stream/web (middy's response streaming). Each costs a cold start 5–7 ms
 * to load, so it is loaded when first used instead.
 */
const LAZY_BUILTINS = new Set(["node:zlib", "node:stream/web"]);

/**
 * The CommonJS module an alias points at. A lazy builtin's exports are this Node's export
 * names: its functions (`crc32`, `createGzip`) forward each call, so code that tests
 * `typeof zlib.crc32` at its top loads nothing; the rest (classes, constants) are getters.
 * esbuild copies exports as getters (`__toESM`), so no name is read before its first use.
 */
export function builtinModuleSource(specifier: string): string {
  const load = `process.getBuiltinModule(${JSON.stringify(specifier)})`;
  if (!LAZY_BUILTINS.has(specifier)) return `module.exports = ${load};\n`;
  const exported = process.getBuiltinModule(specifier) as Record<string, unknown>;
  const names = Object.keys(exported).sort();
  const functions = names.filter(
    (name) => typeof exported[name] === "function" && /^[a-z]/.test(name),
  );
  const others = names.filter((name) => !functions.includes(name));
  return [
    `const load = () => ${load};`,
    `for (const name of ${JSON.stringify(functions)}) {`,
    "  exports[name] = (...args) => load()[name](...args);",
    "}",
    `for (const name of ${JSON.stringify(others)}) {`,
    "  Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });",
    "}",
    "",
  ].join("\n");
}

/** Writes `file` whole (renamed into place) unless it holds `contents`: builds may run at once. */
function writeIfChanged(file: string, contents: string) {
  try {
    if (readFileSync(file, "utf8") === contents) return;
  } catch {
    // Not written yet.
  }
  const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(temporary, contents);
  renameSync(temporary, file);
}

/**
 * The files of a bundle that a cold start reads: the entry and the chunks it imports
 * statically, and theirs; the rest are read by the `import()` that needs them, if ever.
 */
export function loadedAtStart(metafile: Metafile): string[] {
  const entry = Object.keys(metafile.outputs).find((path) => path.endsWith(`/${BUNDLE_FILE}`));
  const loaded = new Set<string>();
  const pending = entry ? [entry] : [];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    if (loaded.has(path)) continue;
    loaded.add(path);
    for (const { path: imported, kind } of metafile.outputs[path]?.imports ?? []) {
      if (kind === "import-statement" && imported in metafile.outputs) pending.push(imported);
    }
  }
  return [...loaded];
}
