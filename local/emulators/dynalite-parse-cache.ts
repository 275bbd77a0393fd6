import { createRequire } from "node:module";

/** The store sends a handful of expressions; this bounds what any other client leaves. */
const MAX_TREES = 1000;

/** What dynalite hands its expression parsers. */
interface ParseOptions {
  context: {
    attrNames?: unknown;
    attrVals?: unknown;
    isKeyCondition?: boolean;
  };
}

interface ExpressionParser {
  parse(expression: string, options: ParseOptions): unknown;
  cached?: boolean;
}

/**
 * dynalite parses every condition expression anew with a PEG parser: about 0.15 ms each for
 * `attribute_not_exists(PK)`, which the store sends with every event and every delivery it
 * creates. An expression without names or values parses to the same tree every time, so the
 * tree is kept and reused (dynalite only reads it); one with names or values, whose tree
 * carries them, and one that fails to parse, are parsed as before. Applies to dynalite in this
 * thread.
 */
export function cacheDynaliteParses(): void {
  const load = createRequire(import.meta.url);
  for (const name of ["conditionParser", "projectionParser", "updateParser"]) {
    const parser = load(`dynalite/db/${name}`) as ExpressionParser;
    if (parser.cached) continue;
    const parse = parser.parse;
    const trees = new Map<string, unknown>();
    parser.parse = (expression, options) => {
      const { attrNames, attrVals, isKeyCondition } = options.context;
      if (attrNames != null || attrVals != null) return parse(expression, options);
      const key = `${isKeyCondition === true}:${expression}`;
      if (trees.has(key)) return trees.get(key);
      const tree = parse(expression, options);
      if (trees.size < MAX_TREES) trees.set(key, tree);
      return tree;
    };
    parser.cached = true;
  }
}
