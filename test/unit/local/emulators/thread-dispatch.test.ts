import { MessageChannel } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import type { WireRequest } from "../../../../local/emulators/in-process.ts";
import { answerCalls, callsOver } from "../../../../local/emulators/thread-dispatch.ts";

const request = (body: string): WireRequest => ({
  method: "POST",
  url: "/",
  headers: { "x-amz-target": "T" },
  body,
});
const channels: MessageChannel[] = [];
afterEach(() => {
  for (const channel of channels.splice(0)) {
    channel.port1.close();
    channel.port2.close();
  }
});

function connected(answerWith: Parameters<typeof answerCalls>[1]) {
  const channel = new MessageChannel();
  channels.push(channel);
  answerCalls(channel.port2, answerWith);
  return callsOver(channel.port1);
}

describe("calls to the emulator thread over a message port", () => {
  it("reach the emulator they name and come back to their own caller, in any order", async () => {
    const calls = connected({
      dynamodb: async (call) => {
        if (call.body === "slow") await new Promise((resolve) => setTimeout(resolve, 30));
        return { statusCode: 200, headers: { from: "dynamodb" }, body: call.body };
      },
      sqs: async (call) => ({ statusCode: 400, headers: { from: "sqs" }, body: call.body }),
    });

    const [slow, fast, queue] = await Promise.all([
      calls.dynamodb(request("slow")),
      calls.dynamodb(request("fast")),
      calls.sqs(request("queue")),
    ]);

    expect(slow).toEqual({ statusCode: 200, headers: { from: "dynamodb" }, body: "slow" });
    expect(fast.body).toBe("fast");
    expect(queue).toEqual({ statusCode: 400, headers: { from: "sqs" }, body: "queue" });
  });

  it("reject with the emulator's error when its dispatch throws", async () => {
    const calls = connected({
      dynamodb: async () => {
        throw new Error("dynalite is closed");
      },
      sqs: async () => ({ statusCode: 200, headers: {}, body: "" }),
    });

    await expect(calls.dynamodb(request("x"))).rejects.toThrow("dynalite is closed");
    expect((await calls.sqs(request("y"))).statusCode).toBe(200);
  });

  it("fail, in flight and later, once the thread is declared gone", async () => {
    const calls = connected({
      dynamodb: () => new Promise(() => {}), // never answers: the thread died mid-call
      sqs: () => new Promise(() => {}),
    });
    const inFlight = calls.dynamodb(request("x"));

    calls.fail(new Error("the emulator thread stopped"));

    await expect(inFlight).rejects.toThrow("the emulator thread stopped");
    await expect(calls.sqs(request("y"))).rejects.toThrow("the emulator thread stopped");
  });
});
