import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { describe, expect, it, vi } from "vitest";
import { failingFanOut, NO_FAULTS, parseFaults } from "../../../local/faults.ts";
import { sqsRecords } from "../../support/events.ts";

describe("SWITCHYARD_FAULTS", () => {
  it("injects nothing unless asked", () => {
    expect(parseFaults(undefined)).toEqual(NO_FAULTS);
    expect(parseFaults("")).toEqual(NO_FAULTS);
  });

  it("reads a number of fan-out failures, always, and a crash point", () => {
    expect(parseFaults("fanout-fails=3, crash=after-publish")).toEqual({
      fanOutFailures: 3,
      crash: "after-publish",
    });
    expect(parseFaults("fanout-fails=always").fanOutFailures).toBe(Number.POSITIVE_INFINITY);
  });

  it.each(["fanout-fails=-1", "fanout-fails=x", "crash=sometimes", "explode"])(
    "refuses %s, naming it",
    (raw) => {
      expect(() => parseFaults(raw)).toThrow(`"${raw}" is not a fault`);
    },
  );
});

describe("a failing fan-out", () => {
  it("fails each record on its first N receives without running it, and runs it after", async () => {
    const invoke = vi.fn(
      async (event: SQSEvent): Promise<SQSBatchResponse> => ({
        batchItemFailures: event.Records.slice(1).map((r) => ({ itemIdentifier: r.messageId })),
      }),
    );
    const event = sqsRecords("a", "b", "c");
    const receives = ["2", "3", "5"];
    event.Records.forEach((record, index) => {
      record.attributes.ApproximateReceiveCount = receives[index] ?? "1";
    });
    const result = await failingFanOut(invoke, 2)(event);
    // m-0 failed by the fault; m-1 and m-2 reach the function, which fails m-2 itself.
    expect(invoke).toHaveBeenCalledTimes(1);
    expect(invoke.mock.calls[0]?.[0].Records.map((r) => r.messageId)).toEqual(["m-1", "m-2"]);
    expect(result.batchItemFailures).toEqual([
      { itemIdentifier: "m-0" },
      { itemIdentifier: "m-2" },
    ]);
  });
});
