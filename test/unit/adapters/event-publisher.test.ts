import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createEventPublisher } from "../../../functions/adapters/event-publisher.ts";
import { EVENT_SOURCE } from "../../../functions/core/bus-rules.ts";
import type { RoutedEvent } from "../../../functions/core/model.ts";
import { PublishRejected } from "../../../functions/core/ports.ts";

const BUS = "switchyard-test-bus";
/** PutEvents' limit on one entry: 256 KiB, counted as AWS documents it. */
const MAX_ENTRY_BYTES = 256 * 1024;
/** AWS counts a given `Time` as 14 bytes of the entry. */
const TIME_BYTES = 14;

const eventBridge = mockClient(EventBridgeClient);
const client = new EventBridgeClient({
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});
const noPause = async () => {};

afterEach(() => {
  eventBridge.reset();
});

function event(index: number, overrides: Partial<RoutedEvent> = {}): RoutedEvent {
  return {
    v: 1,
    app_id: "app_01HZY0000000000000000000AA",
    event_id: `evt_01HZY00000000000000000${String(index).padStart(4, "0")}`,
    type: "contact_created",
    platform: false,
    linked_account_id: "acme",
    timestamp: "2026-05-01T12:00:00.000Z",
    payload: { index },
    ...overrides,
  };
}

/** Every entry that was sent, call by call. */
function sentBatches(): PutEventsRequestEntry[][] {
  return eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
}

function detailOf(entry: PutEventsRequestEntry | undefined): Record<string, unknown> {
  expect(entry?.Detail).toBeTypeOf("string");
  return JSON.parse(entry?.Detail ?? "null") as Record<string, unknown>;
}

function ok(count: number) {
  return {
    FailedEntryCount: 0,
    Entries: Array.from({ length: count }, (_, i) => ({ EventId: `ok-${i}` })),
  };
}

/** An app event whose entry (source, detail-type, detail, without Time) is `bytes` long. */
function eventWithEntryBytes(bytes: number): RoutedEvent {
  const sized = (fill: number) => event(1, { payload: { blob: "x".repeat(fill) } });
  const entryBytes = (e: RoutedEvent) =>
    Buffer.byteLength(EVENT_SOURCE.app) +
    Buffer.byteLength(e.type) +
    Buffer.byteLength(JSON.stringify(e));
  const result = sized(bytes - entryBytes(sized(0)));
  expect(entryBytes(result)).toBe(bytes);
  return result;
}

describe("createEventPublisher", () => {
  it("sends at most 10 entries a PutEvents call: 25 events go out as 10, 10 and 5", async () => {
    eventBridge
      .on(PutEventsCommand)
      .callsFake((input: { Entries: unknown[] }) => ok(input.Entries.length));
    const events = Array.from({ length: 25 }, (_, i) => event(i));

    await createEventPublisher(client, BUS, noPause).publish(events);

    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 3);
    const batches = sentBatches();
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 5]);
    const sentIds = batches.flat().map((entry) => detailOf(entry).event_id);
    expect(sentIds).toEqual(events.map((e) => e.event_id));
  });

  it("keeps the entries of one call within 256 KiB together, starting a new call when they would not be", async () => {
    eventBridge
      .on(PutEventsCommand)
      .callsFake((input: { Entries: unknown[] }) => ok(input.Entries.length));
    // Each entry is a third of the limit with its time: three fit in a call, a fourth does not.
    const third = Math.floor(MAX_ENTRY_BYTES / 3) - TIME_BYTES;
    const events = Array.from({ length: 5 }, () => eventWithEntryBytes(third));

    await createEventPublisher(client, BUS, noPause).publish(events);

    expect(sentBatches().map((batch) => batch.length)).toEqual([3, 2]);
  });

  it("sends nothing when there are no events", async () => {
    await createEventPublisher(client, BUS, noPause).publish([]);
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it("builds entries with the app source, the event type as detail-type and the bus name", async () => {
    eventBridge.on(PutEventsCommand).resolves(ok(1));
    const routed = event(7);

    await createEventPublisher(client, BUS, noPause).publish([routed]);

    expect(eventBridge).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        expect.objectContaining({
          EventBusName: BUS,
          Source: "switchyard.app",
          DetailType: "contact_created",
          Time: new Date(routed.timestamp),
        }),
      ],
    });
    expect(detailOf(sentBatches()[0]?.[0])).toEqual(routed);
  });

  it("sends platform events with the platform source", async () => {
    eventBridge.on(PutEventsCommand).resolves(ok(2));
    const platform = event(1, {
      type: "workflow.errored",
      platform: true,
      linked_account_id: null,
    });

    await createEventPublisher(client, BUS, noPause).publish([event(0), platform]);

    const [entries] = sentBatches();
    expect(entries?.map((entry) => [entry.Source, entry.DetailType, entry.EventBusName])).toEqual([
      [EVENT_SOURCE.app, "contact_created", BUS],
      [EVENT_SOURCE.platform, "workflow.errored", BUS],
    ]);
    expect(EVENT_SOURCE).toEqual({ app: "switchyard.app", platform: "switchyard.platform" });
  });

  it("resends only the entries EventBridge reported as failed", async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [
          { EventId: "a" },
          { ErrorCode: "InternalFailure", ErrorMessage: "try again" },
          { EventId: "c" },
        ],
      })
      .resolves(ok(1));
    const events = [event(0), event(1), event(2)];

    await createEventPublisher(client, BUS, noPause).publish(events);

    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 2);
    const [first, second] = sentBatches();
    expect(first).toHaveLength(3);
    expect(second).toHaveLength(1);
    expect(detailOf(second?.[0]).event_id).toBe(events[1]?.event_id);
  });

  it("waits between resends", async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: "ThrottlingException" }] })
      .resolves(ok(1));
    const pause = vi.fn(async () => {});

    await createEventPublisher(client, BUS, pause).publish([event(0)]);

    expect(pause).toHaveBeenCalledTimes(1);
  });

  it("throws an error naming EventBridge when an entry keeps failing after the retries", async () => {
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 1,
      // The entry of event 1 fails every time; every other entry goes through.
      Entries: input.Entries.map((entry) =>
        JSON.parse((entry as PutEventsRequestEntry).Detail ?? "{}").payload?.index === 1
          ? { ErrorCode: "InternalFailure", ErrorMessage: "bus unavailable" }
          : { EventId: "ok" },
      ),
    }));

    await expect(
      createEventPublisher(client, BUS, noPause).publish([event(0), event(1), event(2)]),
    ).rejects.toThrow(/EventBridge.*bus unavailable/);

    const batches = sentBatches();
    expect(batches.length).toBeGreaterThan(1);
    expect(batches[0]).toHaveLength(3);
    for (const resend of batches.slice(1)) {
      expect(resend.map((entry) => detailOf(entry).payload)).toEqual([{ index: 1 }]);
    }
  });

  it("does not send the next batch once a batch has failed for good", async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: "InternalFailure" }] });
    const events = Array.from({ length: 11 }, (_, i) => event(i));

    await expect(createEventPublisher(client, BUS, noPause).publish(events)).rejects.toThrow(
      /EventBridge/,
    );
    for (const batch of sentBatches()) {
      expect(batch.map((entry) => detailOf(entry).event_id)).not.toContain(events[10]?.event_id);
    }
  });

  it.each([
    "InvalidArgument",
    "MalformedDetail",
    "AccessDeniedException",
    "NotAuthorizedForSourceException",
  ])(
    "throws PublishRejected, sending nothing again, when EventBridge refuses with %s",
    async (code) => {
      eventBridge.on(PutEventsCommand).resolves({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: code, ErrorMessage: "no such thing" }],
      });

      const publishing = createEventPublisher(client, BUS, noPause).publish([event(0)]);

      await expect(publishing).rejects.toBeInstanceOf(PublishRejected);
      await expect(publishing).rejects.toThrow(
        `EventBridge refused 1 entries: ${code}: no such thing`,
      );
      expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    },
  );

  it("throws PublishRejected when an entry that failed for a while is then refused for good", async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: "ThrottlingException" }] })
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: "InvalidArgument" }] });

    await expect(
      createEventPublisher(client, BUS, noPause).publish([event(0)]),
    ).rejects.toBeInstanceOf(PublishRejected);
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 2);
  });

  describe("anything the bus may have taken is not a rejection", () => {
    const notRejected = async (publishing: Promise<void>) => {
      const error = await publishing.then(
        () => null,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(PublishRejected);
      return error as Error;
    };

    it("passes a timeout on as it is", async () => {
      const timeout = Object.assign(new Error("socket timed out"), { name: "TimeoutError" });
      eventBridge.on(PutEventsCommand).rejects(timeout);

      const error = await notRejected(
        createEventPublisher(client, BUS, noPause).publish([event(0)]),
      );

      expect(error.name).toBe("TimeoutError");
    });

    it("passes a 5xx on as it is", async () => {
      const unavailable = Object.assign(new Error("service unavailable"), {
        name: "InternalException",
        $metadata: { httpStatusCode: 500 },
      });
      eventBridge.on(PutEventsCommand).rejects(unavailable);

      const error = await notRejected(
        createEventPublisher(client, BUS, noPause).publish([event(0)]),
      );

      expect(error).toBe(unavailable);
    });

    it("throttling of the entry that outlasts the resends", async () => {
      eventBridge
        .on(PutEventsCommand)
        .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: "ThrottlingException" }] });

      await notRejected(createEventPublisher(client, BUS, noPause).publish([event(0)]));
      expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 4);
    });

    it("a refusal of some entries of a batch when others went through", async () => {
      eventBridge.on(PutEventsCommand).resolves({
        FailedEntryCount: 1,
        Entries: [{ EventId: "a" }, { ErrorCode: "InvalidArgument", ErrorMessage: "bad" }],
      });

      const error = await notRejected(
        createEventPublisher(client, BUS, noPause).publish([event(0), event(1)]),
      );

      expect(error.message).toContain("EventBridge refused 1 entries: InvalidArgument: bad");
    });

    it("a refusal of a later batch when an earlier one went through", async () => {
      eventBridge
        .on(PutEventsCommand)
        .resolvesOnce(ok(10))
        .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: "InvalidArgument" }] });
      const events = Array.from({ length: 11 }, (_, i) => event(i));

      await notRejected(createEventPublisher(client, BUS, noPause).publish(events));
    });
  });

  it("sends a small payload inside the entry", async () => {
    eventBridge.on(PutEventsCommand).resolves(ok(1));
    const small = event(3, { payload: { first_name: "Mark", address: { pincode: 560103 } } });

    await createEventPublisher(client, BUS, noPause).publish([small]);

    expect(detailOf(sentBatches()[0]?.[0]).payload).toEqual(small.payload);
  });

  it("sends an event whose entry would exceed 256 KiB by reference, without its payload", async () => {
    eventBridge.on(PutEventsCommand).resolves(ok(1));
    const large = event(4, { payload: { blob: "x".repeat(300 * 1024) } });

    await createEventPublisher(client, BUS, noPause).publish([large]);

    const entry = sentBatches()[0]?.[0];
    expect(Buffer.byteLength(entry?.Detail ?? "")).toBeLessThan(1024);
    const { payload: _omitted, ...reference } = large;
    expect(detailOf(entry)).toEqual(reference);
  });

  it("measures the entry in UTF-8 bytes, not characters", async () => {
    eventBridge.on(PutEventsCommand).resolves(ok(1));
    // 140 000 characters, 280 000 bytes: under the limit in characters, over it in bytes.
    const wide = event(5, { payload: { blob: "é".repeat(140_000) } });

    await createEventPublisher(client, BUS, noPause).publish([wide]);

    expect(Object.keys(detailOf(sentBatches()[0]?.[0]))).not.toContain("payload");
  });

  it("keeps the payload of an entry just under the limit, Time included", async () => {
    eventBridge.on(PutEventsCommand).resolves(ok(1));
    const fits = eventWithEntryBytes(MAX_ENTRY_BYTES - TIME_BYTES - 100);

    await createEventPublisher(client, BUS, noPause).publish([fits]);

    const sent = detailOf(sentBatches()[0]?.[0]);
    // Compared by length: a failure must not print a quarter-megabyte string.
    expect(JSON.stringify(sent.payload).length).toBe(JSON.stringify(fits.payload).length);
  });

  it("counts the 14 bytes of Time: an entry over 256 KiB only with them goes by reference", async () => {
    // AWS: "If specified, the Time parameter is 14 bytes" (Calculating PutEvents entry size).
    // Source + detail-type + detail are 4 bytes under 256 KiB; with Time the entry is 10 over.
    eventBridge.on(PutEventsCommand).resolves(ok(1));
    const borderline = eventWithEntryBytes(MAX_ENTRY_BYTES - 4);

    await createEventPublisher(client, BUS, noPause).publish([borderline]);

    const entry = sentBatches()[0]?.[0];
    expect(entry?.Time).toBeDefined();
    expect(Object.keys(detailOf(entry))).not.toContain("payload");
  });
});

describe("createEventPublisher().publishEach", () => {
  it("answers each event's own outcome: taken, refused for good, or unknown after the resends", async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [
          { EventId: "ok-0" },
          { ErrorCode: "InvalidArgument", ErrorMessage: "Detail is not valid" },
          { ErrorCode: "ThrottlingException", ErrorMessage: "slow down" },
        ],
      })
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: "ThrottlingException" }] });

    const outcomes = await createEventPublisher(client, BUS, noPause).publishEach([
      event(0),
      event(1),
      event(2),
    ]);

    expect(outcomes[0]).toBeUndefined();
    expect(outcomes[1]).toBeInstanceOf(PublishRejected);
    expect(outcomes[1]?.message).toContain("InvalidArgument");
    expect(outcomes[2]).toBeInstanceOf(Error);
    expect(outcomes[2]).not.toBeInstanceOf(PublishRejected);
    // The throttled entry alone was sent again, three more times.
    expect(sentBatches().map((batch) => batch.length)).toEqual([3, 1, 1, 1]);
  });

  it("answers the call's error for each of its events when the call throws: they may have been taken", async () => {
    const timeout = Object.assign(new Error("socket timed out"), { name: "TimeoutError" });
    eventBridge.on(PutEventsCommand).rejects(timeout);

    const outcomes = await createEventPublisher(client, BUS, noPause).publishEach([
      event(0),
      event(1),
    ]);

    expect(outcomes).toEqual([timeout, timeout]);
  });

  it("takes the events of a call without failures in one call", async () => {
    eventBridge
      .on(PutEventsCommand)
      .callsFake((input: { Entries: unknown[] }) => ok(input.Entries.length));
    const outcomes = await createEventPublisher(client, BUS, noPause).publishEach(
      Array.from({ length: 12 }, (_, i) => event(i)),
    );
    expect(outcomes).toEqual(Array.from({ length: 12 }, () => undefined));
    expect(sentBatches().map((batch) => batch.length)).toEqual([10, 2]);
  });
});
