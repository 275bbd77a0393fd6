import { defineConfig } from "vitest/config";
import base from "./vitest.config.ts";

/**
 * The tests `npm run test:mutation` runs against each mutant: the unit tests of the pure core,
 * and the trigger, fan-out, deliverer and URL-guard tests that drive its services. No e2e or
 * infra tests: they are slow, and they test wiring rather than these files' logic.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      "test/unit/core/**/*.test.ts",
      "test/unit/trigger/**/*.test.ts",
      "test/unit/fanout/**/*.test.ts",
      "test/unit/deliverer/**/*.test.ts",
      "test/unit/adapters/url-guard.test.ts",
    ],
  },
});
