import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUNDLE_FILE, esbuildOptionsFor, NODE_OPTIONS } from "../../infra/bundling.ts";

/** The SDK clients each function's bundle carries: the ones it calls, no other. */
const SDK_CLIENTS = {
  trigger: ["client-dynamodb", "client-eventbridge"],
  api: ["client-dynamodb", "client-eventbridge", "client-kms"],
  fanout: ["client-dynamodb", "client-sqs"],
  deliverer: ["client-dynamodb", "client-eventbridge", "client-kms", "client-sqs"],
  "dead-letters": ["client-dynamodb", "client-eventbridge"],
};
const FUNCTIONS = Object.keys(SDK_CLIENTS) as (keyof typeof SDK_CLIENTS)[];

const outdir = mkdtempSync(join(tmpdir(), "switchyard-bundle-test-"));
const bundles = new Map<string, { file: string; inputs: string[] }>();

beforeAll(async () => {
  for (const name of FUNCTIONS) {
    const file = join(outdir, name, BUNDLE_FILE);
    const { metafile } = await build({
      ...esbuildOptionsFor(name, file),
      metafile: true,
      logLevel: "error",
    });
    bundles.set(name, { file, inputs: Object.keys(metafile.inputs) });
  }
}, 60_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe("the functions' bundles, built as the stack builds them", () => {
  it.each(FUNCTIONS)("%s carries only the SDK clients it calls", (name) => {
    const clients = new Set(
      bundles
        .get(name)
        ?.inputs.flatMap(
          (path) => /node_modules\/@aws-sdk\/(client-[^/]+)\//.exec(path)?.[1] ?? [],
        ),
    );
    expect([...clients].sort()).toEqual(SDK_CLIENTS[name]);
  });

  it.each(FUNCTIONS)(
    "%s loads in a fresh Node as Lambda's runtime loads it (import()) and exports its handler",
    (name) => {
      const file = bundles.get(name)?.file ?? "";
      const script = `const bundle = await import(${JSON.stringify(pathToFileURL(file).href)});
console.log(typeof (bundle.handler ?? bundle.default?.handler));`;
      const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
        env: {
          PATH: process.env.PATH,
          NODE_OPTIONS,
          AWS_REGION: "us-east-1",
          // Emulator settings: static credentials, and an endpoint no call is made to.
          SWITCHYARD_AWS_ENDPOINT: "http://127.0.0.1:1",
          POWERTOOLS_LOG_LEVEL: "SILENT",
        },
      });
      expect(output.toString().trim()).toBe("function");
    },
  );
});
