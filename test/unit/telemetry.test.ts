import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { Context } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Store } from "../../functions/core/ports.ts";
import type { DeliverOutcome } from "../../functions/core/services/deliver.ts";
import { reportOutcome } from "../../functions/deliverer/outcome-telemetry.ts";
import { createFanOutHandler } from "../../functions/fanout/handler.ts";
import { type Telemetry, telemetryFor } from "../../functions/telemetry.ts";
import { createTriggerHandler } from "../../functions/trigger/handler.ts";
import { apiEvent } from "../support/api-event.ts";
import { appEvent, busEnvelope, sqsRecords, testDefinition } from "../support/events.ts";
import { fixedClock, newApp, usePipeline } from "../support/harness.ts";

const pipeline = usePipeline();
let store: Store;
let apiKey: string;
let lines: Record<string, unknown>[];

/** A function's telemetry as on Lambda: debug logs on, metrics published. */
function liveTelemetry(name: string): Telemetry {
  const saved = { ...process.env };
  process.env.POWERTOOLS_LOG_LEVEL = "DEBUG";
  process.env.POWERTOOLS_METRICS_DISABLED = "false";
  try {
    return telemetryFor(name);
  } finally {
    process.env = saved;
  }
}

const context = (requestId: string) =>
  ({
    functionName: "switchyard-test",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:switchyard-test",
    memoryLimitInMB: "256",
    awsRequestId: requestId,
    getRemainingTimeInMillis: () => 1000,
  }) as unknown as Context;

beforeEach(async () => {
  store = await pipeline.table.freshStore();
  const app = await newApp(store, fixedClock());
  apiKey = app.apiKey;
  await store.createDefinition(app.appId, testDefinition());
  lines = [];
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array, ...rest) => {
      const text = String(chunk);
      if (!text.startsWith("{")) return write(chunk, ...(rest as []));
      for (const line of text.trim().split("\n")) lines.push(JSON.parse(line));
      return true;
    });
  }
});
afterEach(() => vi.restoreAllMocks());

const metricLines = () => lines.filter((line) => "_aws" in line);
const logLines = () => lines.filter((line) => "message" in line);

describe("the trigger's telemetry", () => {
  const invoke = async (requestId: string, body: unknown, path = "/api/v2/public/event") => {
    const trigger = createTriggerHandler(
      { store, bus: pipeline.messaging.bus, queue: pipeline.messaging.queue, clock: fixedClock() },
      telemetry,
    );
    const event = apiEvent({
      method: "POST",
      path,
      apiKey,
      headers: { linked_account_id: "acme" },
      body,
    });
    event.requestContext.requestId = requestId;
    return trigger(event, context(`lambda-${requestId}`));
  };
  let telemetry: Telemetry;
  beforeEach(() => {
    telemetry = liveTelemetry("trigger");
  });

  it("counts an accepted event in the embedded metric format, and logs it with its ids", async () => {
    const answer = (await invoke("req-1", { event: "contact_created" })) as { body: string };
    const { event_id } = JSON.parse(answer.body);
    expect(metricLines()).toEqual([
      expect.objectContaining({
        service: "switchyard",
        EventsAccepted: 1,
        _aws: expect.objectContaining({
          CloudWatchMetrics: [
            expect.objectContaining({
              Namespace: "Switchyard",
              Dimensions: [["service"]],
              Metrics: [{ Name: "EventsAccepted", Unit: "Count" }],
            }),
          ],
        }),
      }),
    ]);
    expect(logLines()).toContainEqual(
      expect.objectContaining({
        message: "event accepted",
        service: "switchyard-trigger",
        request_id: "req-1",
        function_request_id: "lambda-req-1",
        cold_start: expect.any(Boolean),
        event_id,
      }),
    );
  });

  it("counts nothing for a refused event, prints no empty-metrics warning, and clears the request id after", async () => {
    await invoke("req-2", { event: "no_such_event" });
    await invoke("req-3", { event: "contact_created" });
    expect(metricLines()).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toContain("No application metrics");
    const accepted = logLines().find((line) => line.message === "event accepted");
    expect(accepted?.request_id).toBe("req-3");
  });
});

describe("the batch trigger's telemetry", () => {
  it("counts the accepted items, and the items that failed on a fault apart, logged as errors", async () => {
    const telemetry = liveTelemetry("trigger");
    const trigger = createTriggerHandler(
      { store, bus: pipeline.messaging.bus, queue: pipeline.messaging.queue, clock: fixedClock() },
      telemetry,
    );
    pipeline.messaging.eventBridge.on(PutEventsCommand).resolvesOnce({
      FailedEntryCount: 1,
      Entries: [{ EventId: "eb-0" }, { ErrorCode: "InternalFailure" }],
    });
    // The second entry keeps failing with a retryable code: it may have been taken, a 500.
    pipeline.messaging.eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: "InternalFailure" }] });
    const answer = (await trigger(
      apiEvent({
        method: "POST",
        path: "/api/v2/public/events/batch",
        apiKey,
        headers: { linked_account_id: "acme" },
        body: {
          events: [{ event: "contact_created" }, { event: "contact_created" }, { event: "nope" }],
        },
      }),
      context("lambda-batch"),
    )) as { body: string };
    // Which of the two went first to the bus is the round's business: one is in, one is out.
    const statuses: number[] = JSON.parse(answer.body).data.map(
      (item: { error?: { status_code: number } }) => item.error?.status_code ?? 200,
    );
    expect(statuses[2]).toBe(400);
    expect(statuses.slice(0, 2).sort()).toEqual([200, 500]);
    expect(metricLines()).toEqual([
      expect.objectContaining({ EventsAccepted: 1, BatchItemsFailed: 1 }),
    ]);
    expect(logLines()).toContainEqual(
      expect.objectContaining({
        level: "ERROR",
        message: `batch item ${statuses.indexOf(500)} not accepted`,
      }),
    );
  });
});

describe("the fan-out's telemetry", () => {
  it("logs a failed record with its message and event ids, and the Lambda request id", async () => {
    const telemetry = liveTelemetry("fanout");
    const fanOut = createFanOutHandler(
      { store, queue: pipeline.messaging.queue, clock: fixedClock() },
      telemetry,
    );
    const { payload: _, ...missing } = appEvent("app_01JD0000000000000000000000");
    await fanOut(sqsRecords(busEnvelope(missing)), context("lambda-1"));
    const [line] = logLines().filter((entry) => entry.level === "ERROR");
    expect(line).toMatchObject({
      service: "switchyard-fanout",
      function_request_id: "lambda-1",
      cold_start: expect.any(Boolean),
      messageId: "m-0",
      event_id: missing.event_id,
    });
  });
});

describe("the deliverer's outcome lines", () => {
  const message = { v: 1, app_id: "app_1", delivery_id: "msg_1" } as const;
  const attempt = {
    attempt: 2,
    at: "2026-11-23T01:28:00.000Z",
    status_code: 500,
    duration_ms: 12,
    response_body: "",
    error: "HTTP 500",
  };
  const outcomes: [DeliverOutcome, string, string][] = [
    [
      { kind: "succeeded", attempt: { ...attempt, status_code: 200, error: null }, url: "u" },
      "delivery succeeded",
      "DeliverySucceeded",
    ],
    [
      { kind: "retrying", attempt, url: "u", delaySeconds: 120 },
      "delivery failed, retrying",
      "DeliveryRetried",
    ],
    [
      { kind: "dead_lettered", reason: "retries_exhausted", attempt },
      "delivery dead-lettered",
      "DeliveryDeadLettered",
    ],
    [
      { kind: "discarded" },
      "delivery discarded: its subscription was deleted",
      "DeliveryDiscarded",
    ],
  ];

  it.each(outcomes)(
    "logs %j as one INFO line with the delivery id, and counts it",
    (outcome, text, metric) => {
      const telemetry = liveTelemetry("deliverer");
      reportOutcome(telemetry, message, outcome);
      telemetry.metrics.publishStoredMetrics();
      const infos = logLines().filter((line) => line.level === "INFO");
      expect(infos).toEqual([expect.objectContaining({ message: text, delivery_id: "msg_1" })]);
      expect(metricLines()).toEqual([expect.objectContaining({ [metric]: 1 })]);
    },
  );

  it("counts a delivery moved to the slow lane, logging it at DEBUG only", () => {
    const telemetry = liveTelemetry("deliverer");
    reportOutcome(telemetry, message, { kind: "diverted" });
    telemetry.metrics.publishStoredMetrics();
    expect(logLines().filter((line) => line.level === "INFO")).toEqual([]);
    expect(metricLines()).toEqual([expect.objectContaining({ DeliveryDiverted: 1 })]);
  });

  it("logs and counts a subscription marked slow, and warns when the mark failed", () => {
    const telemetry = liveTelemetry("deliverer");
    const succeeded = { kind: "succeeded", attempt, url: "u", health: null } as const;
    const until = "2026-11-23T01:29:00.000Z";
    reportOutcome(telemetry, message, { ...succeeded, slow: { subscription_id: "sub_1", until } });
    reportOutcome(telemetry, message, {
      ...succeeded,
      slow: { subscription_id: "sub_1", error: new Error("throttled") },
    });
    telemetry.metrics.publishStoredMetrics();
    expect(logLines()).toContainEqual(
      expect.objectContaining({
        level: "INFO",
        message: "subscription slow: its deliveries take the slow lane",
        subscription_id: "sub_1",
        slow_until: until,
      }),
    );
    expect(logLines()).toContainEqual(
      expect.objectContaining({ level: "WARN", subscription_id: "sub_1" }),
    );
    expect(metricLines()).toEqual([expect.objectContaining({ SubscriptionSlow: 1 })]);
  });

  it("records how long an attempt took", () => {
    const telemetry = liveTelemetry("deliverer");
    reportOutcome(telemetry, message, { kind: "retrying", attempt, url: "u", delaySeconds: 1 });
    telemetry.metrics.publishStoredMetrics();
    expect(metricLines()[0]).toMatchObject({ AttemptDuration: 12 });
  });
});
