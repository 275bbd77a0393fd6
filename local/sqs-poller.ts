import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";

export interface PollerOptions {
  client: SQSClient;
  queueUrl: string;
  /** Messages per receive (SQS: at most 10). */
  batchSize: number;
  /** Batches handled at once, as Lambda runs several invocations side by side. */
  concurrency: number;
  /** Hides received messages this long instead of the queue's own visibility timeout. */
  visibilityTimeoutSeconds?: number;
  /** Handles one batch; answers the ids of messages to keep. A throw keeps them all. */
  handle(messages: Message[]): Promise<ReadonlySet<string>>;
  onError(error: unknown): void;
}

export interface Poller {
  /** Whether it is still polling. */
  running(): boolean;
  /** Stops receiving, lets batches in flight finish (up to `graceMs`), then returns. */
  stop(graceMs?: number): Promise<void>;
}

const LONG_POLL_SECONDS = 1;

/**
 * Polls a queue the way Lambda's SQS event source does: long polls, hands each batch to the
 * function, deletes what succeeded and leaves the rest to come back after its visibility
 * timeout.
 */
export function startPoller(options: PollerOptions): Poller {
  let stopping = false;
  const abort = new AbortController();

  const loop = async () => {
    while (!stopping) {
      try {
        const { Messages = [] } = await options.client.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: options.batchSize,
            WaitTimeSeconds: LONG_POLL_SECONDS,
            VisibilityTimeout: options.visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ["All"],
            MessageAttributeNames: ["All"],
          }),
          { abortSignal: abort.signal },
        );
        if (Messages.length === 0) continue;
        const keep = await options.handle(Messages).catch((error: unknown) => {
          options.onError(error);
          return new Set(Messages.map((message) => message.MessageId ?? ""));
        });
        const done = Messages.filter((message) => !keep.has(message.MessageId ?? ""));
        if (done.length > 0) await deleteMessages(options, done);
      } catch (error) {
        if (stopping) break;
        options.onError(error);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  };
  const loops = Array.from({ length: options.concurrency }, loop);

  return {
    running: () => !stopping,
    async stop(graceMs = 5_000) {
      stopping = true;
      // An idle long poll holds nothing: cut it short. A batch being handled runs to its end.
      abort.abort();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(loops),
        new Promise((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}

async function deleteMessages(options: PollerOptions, messages: Message[]) {
  const { Failed = [] } = await options.client.send(
    new DeleteMessageBatchCommand({
      QueueUrl: options.queueUrl,
      Entries: messages.map((message, index) => ({
        Id: String(index),
        ReceiptHandle: message.ReceiptHandle,
      })),
    }),
  );
  // A message not deleted comes back and is handled again: at-least-once, as in AWS.
  if (Failed.length > 0) options.onError(new Error(`could not delete ${Failed.length} messages`));
}
