/**
 * Runs vitest and ends with one plain line, `N passed, N failed`, read from vitest's JSON
 * report, so CI (and anyone skimming a log) sees the outcome without parsing vitest's output.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface JsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numFailedTestSuites: number;
}

const dir = mkdtempSync(join(tmpdir(), "switchyard-vitest-"));
const reportFile = join(dir, "report.json");
const run = spawnSync(
  process.execPath,
  [
    "node_modules/vitest/vitest.mjs",
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${reportFile}`,
    ...process.argv.slice(2),
  ],
  { stdio: "inherit" },
);

let report: JsonReport | undefined;
try {
  report = JSON.parse(readFileSync(reportFile, "utf8")) as JsonReport;
} catch {
  // No report: vitest could not run at all; its own output says why.
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (report) {
  const skipped = report.numPendingTests + report.numTodoTests;
  // A suite that fails to load has no failed test of its own; count it so it is not hidden.
  const failed =
    report.numFailedTests + (report.numFailedTests === 0 ? report.numFailedTestSuites : 0);
  console.log(
    `\n${report.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`,
  );
}
process.exit(run.status ?? 1);
