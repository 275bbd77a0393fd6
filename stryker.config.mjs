/**
 * Mutation testing of the core's decision-making files: `npm run test:mutation` (not part of
 * `npm test`). Reports go to reports/mutation/ (git-ignored).
 * @type {import("@stryker-mutator/api/core").PartialStrykerOptions}
 */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts", related: false },
  coverageAnalysis: "perTest",
  // The machine is shared: at most two test processes at once.
  concurrency: 2,
  // A file that does not exist, on purpose: given tsconfig.json, Stryker calls TypeScript's
  // JS API, which TypeScript 7 does not have. Type errors are `npm test`'s job.
  tsconfigFile: "tsconfig.stryker-none.json",
  mutate: [
    "functions/core/address-policy.ts",
    "functions/core/event-pattern.ts",
    "functions/core/json.ts",
    "functions/core/retry-policy.ts",
    "functions/core/routing.ts",
    "functions/core/sign.ts",
    "functions/core/services/deliver.ts",
    "functions/core/services/trigger-event.ts",
  ],
  ignorePatterns: ["reports", ".switchyard", "cdk.out", "coverage", ".bench"],
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: "reports/mutation/.stryker-tmp",
  cleanTempDir: "always",
  thresholds: { high: 95, low: 90, break: null },
};
