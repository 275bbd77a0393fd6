import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { afterEach, describe, expect, it } from "vitest";
import { type Poller, startPoller } from "../../../local/sqs-poller.ts";

let poller: Poller | undefined;
afterEach(async () => {
  await poller?.stop(100);
  poller = undefined;
});

/** A queue that hands out `backlog` messages, one per receive, then long-polls empty. */
function fakeQueue(backlog: number) {
  let next = 0;
  const client = {
    async send(command: unknown, options?: { abortSignal?: AbortSignal }) {
      if (command instanceof ReceiveMessageCommand) {
        if (next < backlog) {
          next++;
          return { Messages: [{ MessageId: `m-${next}`, ReceiptHandle: `r-${next}` }] };
        }
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, 50);
          options?.abortSignal?.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve(undefined);
          });
        });
        return { Messages: [] };
      }
      if (command instanceof DeleteMessageBatchCommand) return { Failed: [] };
      throw new Error("unexpected command");
    },
  };
  return client as unknown as SQSClient;
}

/** Counts the batches being handled at once, and the most there ever were. */
function concurrencyProbe(holdMs: number) {
  const seen = { now: 0, most: 0 };
  const handle = async (_messages: Message[]) => {
    seen.now++;
    seen.most = Math.max(seen.most, seen.now);
    await new Promise((resolve) => setTimeout(resolve, holdMs));
    seen.now--;
    return new Set<string>();
  };
  return { seen, handle };
}

/** A poller of the fake queue, batches of 10, at most `concurrency` at once. */
const pollerOf = (
  client: SQSClient,
  concurrency: number,
  handle: (messages: Message[]) => Promise<Set<string>>,
) => startPoller({ client, queueUrl: "q", batchSize: 10, concurrency, handle, onError: () => {} });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the local SQS poller scales as Lambda's event source does", () => {
  it("handles five batches at once to begin with", async () => {
    const { seen, handle } = concurrencyProbe(300);
    poller = pollerOf(fakeQueue(5), 50, handle);
    await sleep(100);
    expect(seen.most).toBe(5);
  });

  it("adds one batch at a time while every poller is busy and messages keep coming, up to the cap", async () => {
    const { seen, handle } = concurrencyProbe(1_500);
    poller = pollerOf(fakeQueue(100), 8, handle);
    await sleep(450); // about two more after the first five (one every 200 ms)
    expect(seen.now).toBeGreaterThanOrEqual(6);
    expect(seen.now).toBeLessThanOrEqual(8);
    await sleep(1_000);
    expect(seen.most).toBe(8); // never past the cap
  });

  it("never handles more batches at once than a cap below five", async () => {
    const { seen, handle } = concurrencyProbe(200);
    poller = pollerOf(fakeQueue(20), 2, handle);
    await sleep(500);
    expect(seen.most).toBe(2);
  });
});
