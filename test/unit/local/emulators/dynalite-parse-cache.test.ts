import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { cacheDynaliteParses } from "../../../../local/emulators/dynalite-parse-cache.ts";

const conditionParser = createRequire(import.meta.url)("dynalite/db/conditionParser") as {
  parse(expression: string, options: { context: object }): unknown;
};
const context = (more: object = {}) => ({
  unusedAttrNames: {},
  unusedAttrVals: {},
  isReserved: () => false,
  compare: () => false,
  ...more,
});

describe("dynalite's expression parses, kept", () => {
  cacheDynaliteParses();

  it("parses an expression without names or values once", () => {
    const first = conditionParser.parse("attribute_not_exists(PK)", { context: context() });
    const again = conditionParser.parse("attribute_not_exists(PK)", { context: context() });

    expect(again).toBe(first);
    expect(first).toMatchObject({ expression: { type: "function", name: "attribute_not_exists" } });
  });

  it("parses anew an expression with values, whose tree carries them", () => {
    const parse = (value: string) =>
      conditionParser.parse("n = :v", {
        context: context({ attrVals: { ":v": { S: value } }, unusedAttrVals: { ":v": true } }),
      });

    expect(JSON.stringify(parse("a"))).toContain('"a"');
    expect(JSON.stringify(parse("b"))).toContain('"b"');
  });

  it("still refuses an expression it cannot parse, every time", () => {
    for (let n = 0; n < 2; n++) {
      expect(() =>
        conditionParser.parse("attribute_not_exists(", { context: context() }),
      ).toThrow();
    }
  });
});
