import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { batchedSender } from "../../../local/batched-sends.ts";

const sqs = mockClient(SQSClient);
const client = new SQSClient({
  region: "us-east-1",
  credentials: { accessKeyId: "x", secretAccessKey: "x" },
});
const QUEUE = "http://127.0.0.1:1/000000000000/fanout";

beforeEach(() => {
  sqs.reset();
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

const sentBatches = () =>
  sqs
    .commandCalls(SendMessageBatchCommand)
    .map((call) => call.args[0].input.Entries?.map((entry) => entry.MessageBody));

describe("the local bus's batched sender", () => {
  it("sends the messages of one turn in one call, and later ones in another", async () => {
    const send = batchedSender(client, QUEUE);

    await Promise.all(["a", "b", "c"].map((body) => send(body)));
    await send("d");

    expect(sentBatches()).toEqual([["a", "b", "c"], ["d"]]);
    expect(sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.QueueUrl).toBe(QUEUE);
  });

  it("splits a turn's messages into batches of ten", async () => {
    const send = batchedSender(client, QUEUE);
    const bodies = Array.from({ length: 23 }, (_, index) => `m${index}`);

    await Promise.all(bodies.map((body) => send(body)));

    expect(sentBatches()).toEqual([bodies.slice(0, 10), bodies.slice(10, 20), bodies.slice(20)]);
  });

  it("keeps a batch within 256 KiB of messages, a larger message alone", async () => {
    const send = batchedSender(client, QUEUE);
    const kib = (n: number, fill: string) => fill.repeat(n * 1024);
    const bodies = [kib(100, "a"), kib(100, "b"), kib(100, "c"), kib(300, "d"), "e"];

    await Promise.all(bodies.map((body) => send(body)));

    expect(sentBatches()).toEqual([[bodies[0], bodies[1]], [bodies[2]], [bodies[3]], [bodies[4]]]);
  });

  it("fails only the sends SQS refused, with SQS's reason", async () => {
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: "1", Code: "x", SenderFault: false, Message: "full" }],
    });
    const send = batchedSender(client, QUEUE);

    const outcomes = await Promise.allSettled(["a", "b", "c"].map((body) => send(body)));

    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    expect((outcomes[1] as PromiseRejectedResult).reason.message).toBe("full");
  });

  it("fails every send of a batch whose call failed, and only that batch", async () => {
    sqs
      .on(SendMessageBatchCommand)
      .rejectsOnce(new Error("connection refused"))
      .resolves({ Successful: [], Failed: [] });
    const send = batchedSender(client, QUEUE);
    const bodies = Array.from({ length: 12 }, (_, index) => `m${index}`);

    const outcomes = await Promise.allSettled(bodies.map((body) => send(body)));

    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      ...Array(10).fill("rejected"),
      "fulfilled",
      "fulfilled",
    ]);
    expect((outcomes[0] as PromiseRejectedResult).reason.message).toBe("connection refused");
  });
});
