import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { parseDeliveryMessage } from "../../../functions/adapters/delivery-message.ts";
import { createDeliveryQueue } from "../../../functions/adapters/delivery-queue.ts";
import type { DeliveryMessage } from "../../../functions/core/model.ts";

const URLS = {
  deliveryQueueUrl: "http://127.0.0.1:1/000000000000/switchyard-deliveries",
  slowDeliveryQueueUrl: "http://127.0.0.1:1/000000000000/switchyard-deliveries-slow",
  deadLetterQueueUrl: "http://127.0.0.1:1/000000000000/switchyard-deliveries-dlq",
  orderedDeliveryQueueUrl: "http://127.0.0.1:1/000000000000/switchyard-deliveries-ordered.fifo",
  orderedDeadLetterQueueUrl:
    "http://127.0.0.1:1/000000000000/switchyard-deliveries-ordered-dlq.fifo",
};

const sqs = mockClient(SQSClient);
const client = new SQSClient({
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});
const noPause = async () => {};

afterEach(() => {
  sqs.reset();
});

function message(index: number): DeliveryMessage {
  return {
    v: 1,
    app_id: "app_01HZY0000000000000000000AA",
    delivery_id: `msg_01HZY00000000000000000${String(index).padStart(4, "0")}ABCDEFGH`,
  };
}

function sentBatches(): SendMessageBatchCommandInput[] {
  return sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
}

function deliveryIds(entries: SendMessageBatchRequestEntry[] | undefined): string[] {
  return (entries ?? []).map(
    (entry) => (JSON.parse(entry.MessageBody ?? "null") as DeliveryMessage).delivery_id,
  );
}

function allSucceed(input: SendMessageBatchCommandInput) {
  return {
    Successful: (input.Entries ?? []).map((entry) => ({
      Id: entry.Id,
      MessageId: `m-${entry.Id}`,
      MD5OfMessageBody: "x",
    })),
    Failed: [],
  };
}

describe("createDeliveryQueue().enqueue", () => {
  it("sends at most 10 messages a SendMessageBatch call: 23 go out as 10, 10 and 3", async () => {
    sqs.on(SendMessageBatchCommand).callsFake(allSucceed);
    const messages = Array.from({ length: 23 }, (_, i) => message(i));

    await createDeliveryQueue(client, URLS, noPause).enqueue(messages);

    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 3);
    const batches = sentBatches();
    expect(batches.map((batch) => batch.Entries?.length)).toEqual([10, 10, 3]);
    expect(batches.map((batch) => batch.QueueUrl)).toEqual([
      URLS.deliveryQueueUrl,
      URLS.deliveryQueueUrl,
      URLS.deliveryQueueUrl,
    ]);
    expect(batches.flatMap((batch) => deliveryIds(batch.Entries))).toEqual(
      messages.map((m) => m.delivery_id),
    );
  });

  it("gives every entry of a batch a distinct id and the message as its JSON body", async () => {
    sqs.on(SendMessageBatchCommand).callsFake(allSucceed);
    const messages = Array.from({ length: 10 }, (_, i) => message(i));

    await createDeliveryQueue(client, URLS, noPause).enqueue(messages);

    const entries = sentBatches()[0]?.Entries ?? [];
    expect(new Set(entries.map((entry) => entry.Id)).size).toBe(10);
    expect(entries.map((entry) => JSON.parse(entry.MessageBody ?? "null"))).toEqual(messages);
  });

  it("sends nothing for no messages", async () => {
    await createDeliveryQueue(client, URLS, noPause).enqueue([]);

    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 0);
    expect(sqs.calls()).toHaveLength(0);
  });

  it("resends only the entries SQS reported as failed", async () => {
    sqs
      .on(SendMessageBatchCommand)
      .callsFakeOnce((input: SendMessageBatchCommandInput) => {
        const [first, second, third] = input.Entries ?? [];
        return {
          Successful: [first, third].map((entry) => ({
            Id: entry?.Id,
            MessageId: "m",
            MD5OfMessageBody: "x",
          })),
          Failed: [{ Id: second?.Id, SenderFault: false, Code: "InternalError", Message: "busy" }],
        };
      })
      .callsFake(allSucceed);
    const messages = [message(0), message(1), message(2)];

    await createDeliveryQueue(client, URLS, noPause).enqueue(messages);

    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 2);
    const [first, second] = sentBatches();
    expect(deliveryIds(first?.Entries)).toHaveLength(3);
    expect(deliveryIds(second?.Entries)).toEqual([messages[1]?.delivery_id]);
    expect(second?.QueueUrl).toBe(URLS.deliveryQueueUrl);
  });

  it("throws an error naming SQS when a message keeps failing after the retries", async () => {
    sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({
      Successful: [],
      Failed: (input.Entries ?? []).map((entry) => ({
        Id: entry.Id,
        SenderFault: false,
        Code: "InternalError",
        Message: "queue unavailable",
      })),
    }));

    await expect(
      createDeliveryQueue(client, URLS, noPause).enqueue([message(0), message(1)]),
    ).rejects.toThrow(/SQS.*queue unavailable/);
    expect(sentBatches().length).toBeGreaterThan(1);
  });

  it("does not send the next batch once a batch has failed for good", async () => {
    sqs.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({
      Successful: [],
      Failed: (input.Entries ?? []).map((entry) => ({
        Id: entry.Id,
        SenderFault: false,
        Code: "InternalError",
      })),
    }));
    const messages = Array.from({ length: 11 }, (_, i) => message(i));

    await expect(createDeliveryQueue(client, URLS, noPause).enqueue(messages)).rejects.toThrow(
      /SQS/,
    );
    const sent = sentBatches().flatMap((batch) => deliveryIds(batch.Entries));
    expect(sent).not.toContain(messages[10]?.delivery_id);
  });
});

describe("createDeliveryQueue().moveToDeadLetterQueue", () => {
  it("sends the message to the dead-letter queue", async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: "m-1" });
    const dead = message(4);

    await createDeliveryQueue(client, URLS, noPause).moveToDeadLetterQueue(dead);

    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: URLS.deadLetterQueueUrl,
    });
    const body = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody;
    expect(JSON.parse(body ?? "null")).toEqual(dead);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 0);
  });

  it("sends the deliverer's dead-letter stamp with the message", async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: "m-1" });
    const dead = {
      ...message(4),
      dead_letter: { reason: "retries_exhausted" as const, at: "2026-11-23T01:28:00.000Z" },
    };

    await createDeliveryQueue(client, URLS, noPause).moveToDeadLetterQueue(dead);

    const body = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody;
    expect(parseDeliveryMessage(body ?? "")).toEqual(dead);
  });
});

describe("createDeliveryQueue().delay", () => {
  it.each([
    ["main", URLS.deliveryQueueUrl],
    ["slow", URLS.slowDeliveryQueueUrl],
  ] as const)(
    "changes the visibility of a %s-lane message on that lane's queue",
    async (lane, url) => {
      sqs.on(ChangeMessageVisibilityCommand).resolves({});

      await createDeliveryQueue(client, URLS, noPause).delay(lane, "receipt-handle-1", 120);

      expect(sqs).toHaveReceivedCommandTimes(ChangeMessageVisibilityCommand, 1);
      expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, {
        QueueUrl: url,
        ReceiptHandle: "receipt-handle-1",
        VisibilityTimeout: 120,
      });
    },
  );
});

describe("createDeliveryQueue().laneOf", () => {
  it("knows the slow lane by its queue's ARN, and calls any other queue the main lane", () => {
    const queue = createDeliveryQueue(client, URLS, noPause);
    expect(queue.laneOf("arn:aws:sqs:us-east-1:000000000000:switchyard-deliveries-slow")).toBe(
      "slow",
    );
    expect(queue.laneOf("arn:aws:sqs:us-east-1:000000000000:switchyard-deliveries")).toBe("main");
  });
});

describe("createDeliveryQueue().forwardToSlowLane", () => {
  it("sends the message with its ticket to the slow lane's queue", async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: "m-slow" });
    const forwarded = { ...message(1), slow_lane: { carrier: "token-1", from: "m-1" } };

    await createDeliveryQueue(client, URLS, noPause).forwardToSlowLane(forwarded);

    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    const input = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input?.QueueUrl).toBe(URLS.slowDeliveryQueueUrl);
    expect(parseDeliveryMessage(input?.MessageBody ?? "")).toEqual(forwarded);
  });
});

describe("parseDeliveryMessage", () => {
  it("accepts a version 1 message", () => {
    const body = JSON.stringify(message(1));
    expect(parseDeliveryMessage(body)).toEqual(message(1));
  });

  it("throws on another version", () => {
    expect(() => parseDeliveryMessage(JSON.stringify({ ...message(1), v: 2 }))).toThrow();
  });

  it("throws on a message without a version", () => {
    const { v: _v, ...unversioned } = message(1);
    expect(() => parseDeliveryMessage(JSON.stringify(unversioned))).toThrow();
  });

  it("throws on a version 1 message without a delivery id or app id", () => {
    expect(() => parseDeliveryMessage(JSON.stringify({ v: 1, app_id: "app_x" }))).toThrow();
    expect(() => parseDeliveryMessage(JSON.stringify({ v: 1, delivery_id: "msg_x" }))).toThrow();
  });

  it("accepts the stamp of a message the deliverer dead-lettered, and drops unknown fields", () => {
    const stamp = { reason: "subscription_disabled", at: "2026-11-23T01:28:00.000Z" };
    const body = JSON.stringify({ ...message(1), dead_letter: stamp, extra: true });
    expect(parseDeliveryMessage(body)).toEqual({ ...message(1), dead_letter: stamp });
  });

  it("throws on a malformed dead-letter stamp", () => {
    const stamped = (dead_letter: unknown) =>
      JSON.stringify({ ...message(1), dead_letter: dead_letter });
    const at = "2026-11-23T01:28:00.000Z";
    expect(() => parseDeliveryMessage(stamped(null))).toThrow(/dead_letter/);
    expect(() => parseDeliveryMessage(stamped("retries_exhausted"))).toThrow(/dead_letter/);
    expect(() => parseDeliveryMessage(stamped({ reason: "bored", at }))).toThrow(/dead_letter/);
    expect(() => parseDeliveryMessage(stamped({ reason: "receive_limit" }))).toThrow(/dead_letter/);
    expect(() =>
      parseDeliveryMessage(stamped({ reason: "receive_limit", at: "yesterday" })),
    ).toThrow(/dead_letter/);
  });

  it("accepts the ticket of a message forwarded to the slow lane", () => {
    const ticket = { carrier: "token-1", from: "m-1" };
    const body = JSON.stringify({ ...message(1), slow_lane: ticket });
    expect(parseDeliveryMessage(body)).toEqual({ ...message(1), slow_lane: ticket });
  });

  it("throws on a malformed slow-lane ticket", () => {
    const forwarded = (slow_lane: unknown) => JSON.stringify({ ...message(1), slow_lane });
    expect(() => parseDeliveryMessage(forwarded(null))).toThrow(/slow_lane/);
    expect(() => parseDeliveryMessage(forwarded("token-1"))).toThrow(/slow_lane/);
    expect(() => parseDeliveryMessage(forwarded({ carrier: "token-1" }))).toThrow(/slow_lane/);
    expect(() => parseDeliveryMessage(forwarded({ from: "m-1", carrier: 7 }))).toThrow(/slow_lane/);
  });

  it("accepts the ticket of a retry's message, and throws on a malformed one", () => {
    const ticket = { carrier: "token-1", status: "dead_lettered", attempt_count: 4 };
    const body = JSON.stringify({ ...message(1), retry: ticket });
    expect(parseDeliveryMessage(body)).toEqual({ ...message(1), retry: ticket });
    const retried = (retry: unknown) => JSON.stringify({ ...message(1), retry });
    expect(() => parseDeliveryMessage(retried(null))).toThrow(/retry/);
    expect(() => parseDeliveryMessage(retried({ ...ticket, carrier: 1 }))).toThrow(/retry/);
    expect(() => parseDeliveryMessage(retried({ ...ticket, status: "gone" }))).toThrow(/retry/);
    expect(() => parseDeliveryMessage(retried({ ...ticket, attempt_count: "4" }))).toThrow(/retry/);
  });

  it("throws on a body that is not JSON", () => {
    expect(() => parseDeliveryMessage("not json")).toThrow();
  });

  it("throws on a JSON body that is not an object", () => {
    expect(() => parseDeliveryMessage("null")).toThrow();
    expect(() => parseDeliveryMessage("1")).toThrow();
  });
});

describe("createDeliveryQueue: the ordered lane (SPEC §3.1)", () => {
  const ordered = (index: number, group: string, carrier?: string): DeliveryMessage => ({
    ...message(index),
    group,
    ...(carrier && { retry: { carrier, status: "dead_lettered", attempt_count: 4 } }),
  });

  it("sends ordered messages to the FIFO queue in their group, deduplicated by delivery, and the rest to the standard queue", async () => {
    sqs.on(SendMessageBatchCommand).callsFake(allSucceed);

    await createDeliveryQueue(client, URLS, noPause).enqueue([
      message(0),
      ordered(1, "app/sub_a"),
      ordered(2, "app/sub_b", "carrier-1"),
    ]);

    const [standard, fifo] = sentBatches();
    expect(standard?.QueueUrl).toBe(URLS.deliveryQueueUrl);
    expect(deliveryIds(standard?.Entries)).toEqual([message(0).delivery_id]);
    expect(standard?.Entries?.[0]?.MessageGroupId).toBeUndefined();
    expect(fifo?.QueueUrl).toBe(URLS.orderedDeliveryQueueUrl);
    expect(
      fifo?.Entries?.map((entry) => [entry.MessageGroupId, entry.MessageDeduplicationId]),
    ).toEqual([
      ["app/sub_a", message(1).delivery_id],
      // A retry carries its delivery again: its ticket makes it another message.
      ["app/sub_b", `${message(2).delivery_id}.carrier-1`],
    ]);
  });

  it("sends one group's messages in waves, one a call, so a resend never puts one behind its successor", async () => {
    sqs
      .on(SendMessageBatchCommand)
      // The first wave's group b entry fails once: it is resent before group a's second goes.
      .callsFakeOnce((input: SendMessageBatchCommandInput) => {
        const [first, second] = input.Entries ?? [];
        return {
          Successful: [{ Id: first?.Id, MessageId: "m", MD5OfMessageBody: "x" }],
          Failed: [{ Id: second?.Id, SenderFault: false, Code: "InternalError", Message: "busy" }],
        };
      })
      .callsFake(allSucceed);

    await createDeliveryQueue(client, URLS, noPause).enqueue([
      ordered(0, "a"),
      ordered(1, "b"),
      ordered(2, "a"),
      ordered(3, "a"),
      ordered(4, "b"),
    ]);

    expect(sentBatches().map((batch) => deliveryIds(batch.Entries))).toEqual([
      [message(0).delivery_id, message(1).delivery_id],
      [message(1).delivery_id],
      [message(2).delivery_id, message(4).delivery_id],
      [message(3).delivery_id],
    ]);
  });

  it("moves an ordered delivery's dead letter to the FIFO DLQ, a group of its own, deduplicated by its content", async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: "dl" });
    const dead = {
      ...ordered(7, "app/sub_a"),
      dead_letter: { reason: "retries_exhausted" as const, at: "2026-12-02T07:00:00.000Z" },
    };
    const queue = createDeliveryQueue(client, URLS, noPause);

    await queue.moveToDeadLetterQueue(dead);
    await queue.moveToDeadLetterQueue(dead);
    await queue.moveToDeadLetterQueue({
      ...dead,
      dead_letter: { ...dead.dead_letter, at: "2026-12-02T07:00:01.000Z" },
    });

    const sent = sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
    expect(sent.map((input) => [input.QueueUrl, input.MessageGroupId])).toEqual([
      [URLS.orderedDeadLetterQueueUrl, dead.delivery_id],
      [URLS.orderedDeadLetterQueueUrl, dead.delivery_id],
      [URLS.orderedDeadLetterQueueUrl, dead.delivery_id],
    ]);
    const [first, again, later] = sent.map((input) => input.MessageDeduplicationId);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(again).toBe(first);
    expect(later).not.toBe(first);
  });

  it("hides and shows again the ordered lane's messages on its FIFO queue", async () => {
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    const queue = createDeliveryQueue(client, URLS, noPause);

    await queue.delay("ordered", "rh-1", 30);
    await queue.release("ordered", ["rh-3", "rh-2"]);

    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input).toEqual({
      QueueUrl: URLS.orderedDeliveryQueueUrl,
      ReceiptHandle: "rh-1",
      VisibilityTimeout: 30,
    });
    expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand)[0]?.args[0].input).toEqual({
      QueueUrl: URLS.orderedDeliveryQueueUrl,
      Entries: [
        { Id: "0", ReceiptHandle: "rh-3", VisibilityTimeout: 0 },
        { Id: "1", ReceiptHandle: "rh-2", VisibilityTimeout: 0 },
      ],
    });
  });

  it("throws when SQS keeps some of them hidden", async () => {
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: "0", SenderFault: true, Code: "ReceiptHandleIsInvalid", Message: "gone" }],
    });

    await expect(
      createDeliveryQueue(client, URLS, noPause).release("ordered", ["rh-2"]),
    ).rejects.toThrow("SQS kept 1 messages hidden: gone");
  });

  it("reads an ordered message's group back, and refuses an empty one", () => {
    expect(parseDeliveryMessage(JSON.stringify(ordered(1, "app/sub_a"))).group).toBe("app/sub_a");
    expect(() => parseDeliveryMessage(JSON.stringify({ ...message(1), group: "" }))).toThrow(
      "malformed message group",
    );
  });
});
