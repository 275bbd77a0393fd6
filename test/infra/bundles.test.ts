import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReadableStream } from "node:stream/web";
import { fileURLToPath, pathToFileURL } from "node:url";
import { constants, crc32, Gzip } from "node:zlib";
import type { Metafile } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BUNDLE_FILE,
  builtinModuleSource,
  bundleEntry,
  bundleFunction,
  loadedAtStart,
  NODE_OPTIONS,
} from "../../infra/bundling.ts";

/** The SDK clients in each function's bundle (the ones it calls), and those it makes at start. */
const SDK_CLIENTS = {
  trigger: {
    // SQS only for an app with an ordered subscription: loaded then.
    bundled: ["client-dynamodb", "client-eventbridge", "client-sqs"],
    atStart: ["client-dynamodb", "client-eventbridge"],
  },
  api: {
    bundled: ["client-dynamodb", "client-eventbridge", "client-kms", "client-sqs"],
    atStart: ["client-dynamodb"],
  },
  fanout: {
    bundled: ["client-dynamodb", "client-sqs"],
    atStart: ["client-dynamodb", "client-sqs"],
  },
  runner: {
    bundled: ["client-dynamodb", "client-eventbridge", "client-sqs"],
    atStart: ["client-dynamodb", "client-sqs"],
  },
  deliverer: {
    bundled: ["client-dynamodb", "client-eventbridge", "client-kms", "client-sqs"],
    atStart: ["client-dynamodb"],
  },
  "dead-letters": {
    bundled: ["client-dynamodb", "client-eventbridge"],
    atStart: ["client-dynamodb"],
  },
};
const FUNCTIONS = Object.keys(SDK_CLIENTS) as (keyof typeof SDK_CLIENTS)[];
/** Emulator settings: static credentials, and an endpoint no call is made to. */
const EMULATOR = { SWITCHYARD_AWS_ENDPOINT: "http://127.0.0.1:1", POWERTOOLS_LOG_LEVEL: "SILENT" };

const outdir = mkdtempSync(join(tmpdir(), "switchyard-bundle-test-"));
const bundles = new Map<string, Metafile>();

beforeAll(() => {
  for (const name of FUNCTIONS) bundles.set(name, bundleFunction(name, join(outdir, name)));
}, 60_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** The packages whose code is in these output files of the bundle. */
function packagesIn(metafile: Metafile | undefined, outputs?: string[]): Set<string> {
  const files = outputs ?? Object.keys(metafile?.outputs ?? {});
  return new Set(
    files.flatMap((file) =>
      Object.keys(metafile?.outputs[file]?.inputs ?? {}).flatMap(
        (input) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? [],
      ),
    ),
  );
}

const clientsOf = (packages: Set<string>) =>
  [...packages].flatMap((pkg) => /^@aws-sdk\/(client-.+)$/.exec(pkg)?.[1] ?? []).sort();

describe("the functions' bundles, built as the stack builds them", () => {
  it.each(FUNCTIONS)("%s carries only the SDK clients it calls", (name) => {
    expect(clientsOf(packagesIn(bundles.get(name)))).toEqual(SDK_CLIENTS[name].bundled);
  });

  it.each(FUNCTIONS)(
    "%s reads at start only the clients each invocation uses, and no credential provider",
    (name) => {
      const metafile = bundles.get(name);
      const atStart = packagesIn(metafile, metafile ? loadedAtStart(metafile) : []);
      expect(clientsOf(atStart)).toEqual(SDK_CLIENTS[name].atStart);
      // Lambda's environment holds the credentials (credential-provider-env, read at start):
      // the chain's other providers (SSO, STS, profiles, the instance's) are imported only
      // when it does not, and their chunks are not read.
      const otherProviders = [...atStart].filter((pkg) =>
        /credential-provider-(?!node$|env$)|nested-clients|token-providers/.test(pkg),
      );
      expect(otherProviders).toEqual([]);
    },
  );

  it.each(FUNCTIONS)(
    "%s: every chunk, those read at first use too, loads in a fresh Node with the others",
    (name) => {
      const dir = join(outdir, name);
      const chunks = readdirSync(dir).filter((file) => file.endsWith(".mjs"));
      const script = `for (const file of ${JSON.stringify(chunks)}) {
  await import(${JSON.stringify(pathToFileURL(dir).href)} + "/" + file);
}
console.log("loaded");`;
      const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
        env: { PATH: process.env.PATH, NODE_OPTIONS, AWS_REGION: "us-east-1", ...EMULATOR },
      });
      expect(chunks.length).toBeGreaterThan(1);
      expect(output.toString().trim()).toBe("loaded");
    },
  );

  it.each(FUNCTIONS)(
    "%s loads in a fresh Node as Lambda's runtime loads it (import()) and exports its handler",
    (name) => {
      const file = join(outdir, name, BUNDLE_FILE);
      const script = `const bundle = await import(${JSON.stringify(pathToFileURL(file).href)});
console.log(typeof bundle.handler);`;
      const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
        env: { PATH: process.env.PATH, NODE_OPTIONS, AWS_REGION: "us-east-1", ...EMULATOR },
      });
      expect(output.toString().trim()).toBe("function");
    },
  );

  it.each(FUNCTIONS)("%s leaves zlib and node:stream/web unloaded at start", (name) => {
    const file = join(outdir, name, BUNDLE_FILE);
    const script = `await import(${JSON.stringify(pathToFileURL(file).href)});
console.log(JSON.stringify(["zlib", "stream/web"].filter((id) => process.moduleLoadList.includes("NativeModule " + id))));`;
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      env: { PATH: process.env.PATH, NODE_OPTIONS, AWS_REGION: "us-east-1", ...EMULATOR },
    });
    expect(JSON.parse(output.toString())).toEqual([]);
  });
});

describe("the SDK floor that npm run bundle-sizes times beside the functions", () => {
  it("carries the DynamoDB client alone and loads as a function does", () => {
    const dir = join(outdir, "sdk-floor");
    const entry = fileURLToPath(
      new URL("../../scripts/cold-start-floor/handler.ts", import.meta.url),
    );
    const metafile = bundleEntry(entry, dir);
    expect(clientsOf(packagesIn(metafile))).toEqual(["client-dynamodb"]);
    const script = `const bundle = await import(${JSON.stringify(pathToFileURL(join(dir, BUNDLE_FILE)).href)});
console.log(typeof bundle.handler);`;
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      env: { PATH: process.env.PATH, NODE_OPTIONS, AWS_REGION: "us-east-1", ...EMULATOR },
    });
    expect(output.toString().trim()).toBe("function");
  });
});

describe("a builtin that loads at first use", () => {
  /** The alias module's exports, as esbuild's require() of it would see them. */
  function lazyExports(specifier: string): Record<string, unknown> {
    const exports: Record<string, unknown> = {};
    new Function("exports", "process", builtinModuleSource(specifier))(exports, process);
    return exports;
  }

  it("forwards zlib's functions and answers its constants and classes", () => {
    const zlib = lazyExports("node:zlib");
    const data = Buffer.from("switchyard");
    expect((zlib.crc32 as typeof crc32)(data)).toBe(crc32(data));
    expect(zlib.constants).toBe(constants);
    expect(zlib.Gzip).toBe(Gzip);
  });

  it("answers node:stream/web's classes", () => {
    expect(lazyExports("node:stream/web").ReadableStream).toBe(ReadableStream);
  });

  it("leaves other builtins as the module itself", () => {
    expect(builtinModuleSource("node:https")).toBe(
      'module.exports = process.getBuiltinModule("node:https");\n',
    );
  });
});
