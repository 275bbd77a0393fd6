import { describe, expect, it } from "vitest";
import { costPerMillion, type PerEvent } from "../../../bench/cost-model.ts";

/** The README's own per-event figures ("What it costs"): its prices should give its total. */
const readmeEvent: PerEvent = {
  apiRequests: 1,
  invocations: { trigger: 1, fanout: 1, deliverer: 1 },
  writeUnits: 10,
  readUnits: 2.5,
  eventBridgeEvents: 1,
  sqsRequests: 6,
};

const dollars = (perEvent: PerEvent) =>
  Object.fromEntries(costPerMillion(perEvent).map((line) => [line.item, line.dollars.toFixed(2)]));

describe("the cost of a million events", () => {
  it("is the README's line by line for the README's counts", () => {
    expect(dollars(readmeEvent)).toEqual({
      "API Gateway": "1.00",
      "Lambda requests": "0.60",
      "Lambda duration": "1.67",
      "DynamoDB writes": "6.25",
      "DynamoDB reads": "0.31",
      EventBridge: "1.00",
      SQS: "2.40",
      "X-Ray": "0.75",
      Logs: "1.00",
      total: "14.98",
    });
  });

  it("shares the API request and the trigger's invocation among a batch's events", () => {
    const batched = {
      ...readmeEvent,
      apiRequests: 0.01,
      invocations: { ...readmeEvent.invocations, trigger: 0.01 },
    };
    // The trigger's time and traces shrink with its invocations (the README keeps them).
    const bill = dollars(batched);
    expect(bill["API Gateway"]).toBe("0.01");
    expect(bill["Lambda requests"]).toBe("0.40");
    expect(bill["X-Ray"]).toBe("0.50");
    expect(bill.total).toBe("13.38");
  });

  it("prices a function it has no size for as the trigger", () => {
    const other = dollars({ ...readmeEvent, invocations: { "dead-letters": 1 } });
    const trigger = dollars({ ...readmeEvent, invocations: { trigger: 1 } });
    expect(other["Lambda duration"]).toBe(trigger["Lambda duration"]);
  });
});
