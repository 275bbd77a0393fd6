import { describe, expect, it } from "vitest";
import { onFirstUse } from "../../../functions/adapters/on-first-use.ts";

describe("onFirstUse", () => {
  it("loads nothing until the first call, then once for every call", async () => {
    let loads = 0;
    const load = onFirstUse(async () => {
      loads += 1;
      return { made: loads };
    });
    expect(loads).toBe(0);

    // Calls that arrive together, as a batch's records do, share the one load.
    const [first, second] = await Promise.all([load(), load()]);
    const third = await load();

    expect(loads).toBe(1);
    expect(first).toBe(second);
    expect(third).toBe(first);
  });

  it("forgets a load that failed, so the next call loads again", async () => {
    let loads = 0;
    const load = onFirstUse(async () => {
      loads += 1;
      if (loads === 1) throw new Error("the first load failed");
      return "loaded";
    });

    await expect(load()).rejects.toThrow("the first load failed");
    expect(await load()).toBe("loaded");
    expect(await load()).toBe("loaded");
    expect(loads).toBe(2);
  });
});
