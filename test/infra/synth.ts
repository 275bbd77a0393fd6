import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { buildApp } from "../../infra/build-app.ts";

export interface ValidationReport {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: unknown[];
    suppressedViolations: { ruleName: string; reason: string }[];
  }[];
}

/**
 * Synthesizes the app as `cdk synth` does, cdk-nag included, into a temporary folder.
 * Bundling runs at every synth, so each test file calls this once.
 */
export function synthesize(context: Record<string, unknown> = {}) {
  const outdir = mkdtempSync(join(tmpdir(), "switchyard-synth-"));
  const { app, stack } = buildApp({ outdir, context });
  const assembly = app.synth();
  const report = JSON.parse(
    readFileSync(join(assembly.directory, "validation-report.json"), "utf8"),
  ) as ValidationReport;
  const template = Template.fromStack(stack);
  rmSync(outdir, { recursive: true, force: true });
  return { template, report };
}
