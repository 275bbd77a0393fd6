import { describe, expect, it } from "vitest";
import { byField, subtract, total } from "../../../bench/tally.ts";

describe("a tally", () => {
  const tally = new Map([
    ["wu\ttable\tevent", 1],
    ["wu\ttable\tdelivery", 2],
    ["wu\tGSI1\tdelivery", 3],
    ["ru\tQuery table", 0.5],
  ]);

  it("sums a measure, or the part of it a detail starts", () => {
    expect(total(tally, "wu")).toBe(6);
    expect(total(tally, "wu", "table")).toBe(3);
  });

  it("groups a measure by one of its detail fields", () => {
    expect(byField(tally, "wu")).toEqual(
      new Map([
        ["table", 3],
        ["GSI1", 3],
      ]),
    );
    expect(byField(tally, "wu", 1)).toEqual(
      new Map([
        ["event", 1],
        ["delivery", 5],
      ]),
    );
  });

  it("takes another tally off, dropping what comes to zero and sparing what it is told to", () => {
    const lookups = new Map([
      ["ru\tQuery table", 0.5],
      ["wu\tGSI1\tdelivery", 1],
    ]);
    expect(subtract(tally, lookups, (key) => !key.startsWith("wu"))).toEqual(
      new Map([
        ["wu\ttable\tevent", 1],
        ["wu\ttable\tdelivery", 2],
        ["wu\tGSI1\tdelivery", 3],
      ]),
    );
    expect(subtract(tally, lookups).get("wu\tGSI1\tdelivery")).toBe(2);
  });
});
