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
  /** Most batches handled at once, as the mapping's MaximumConcurrency caps Lambda's. */
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
/** Lambda's SQS pollers start with five batches at once, and come back to five when quiet. */
const BASE_CONCURRENCY = 5;
/** Lambda adds up to 300 concurrent batches a minute: one every 200 ms. */
const SCALE_UP_INTERVAL_MS = 200;

/**
 * Polls a queue the way Lambda's SQS event source does: long polls, hands each batch to the
 * function, deletes what succeeded and leaves the rest to come back after its visibility
 * timeout. It scales as Lambda does, within the same cap: five batches at once to begin
 * with; while every one of them is busy and messages keep coming, one more every 200 ms, up
 * to `concurrency`; a poller that finds the queue empty stops again, down to five.
 */
export function startPoller(options: PollerOptions): Poller {
  let stopping = false;
  const abort = new AbortController();
  const floor = Math.min(BASE_CONCURRENCY, options.concurrency);
  const loops = new Set<Promise<void>>();
  let busy = 0;
  let lastScaledUp = 0;
  let pendingScaleUp: NodeJS.Timeout | undefined;

  const spawn = () => {
    const running: Promise<void> = loop().finally(() => loops.delete(running));
    loops.add(running);
  };
  /**
   * Every poller is handling a batch and the last one found messages: the queue has a backlog,
   * so one more poller, no sooner than 200 ms after the last one (a later check if sooner).
   */
  const scaleUp = () => {
    if (stopping || busy < loops.size || loops.size >= options.concurrency) return;
    const wait = lastScaledUp + SCALE_UP_INTERVAL_MS - Date.now();
    if (wait > 0) {
      pendingScaleUp ??= setTimeout(() => {
        pendingScaleUp = undefined;
        scaleUp();
      }, wait);
      return;
    }
    lastScaledUp = Date.now();
    spawn();
  };

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
        if (Messages.length === 0) {
          if (loops.size > floor) return; // quiet: scale back down
          continue;
        }
        busy++;
        scaleUp();
        const keep = await options
          .handle(Messages)
          .catch((error: unknown) => {
            options.onError(error);
            return new Set(Messages.map((message) => message.MessageId ?? ""));
          })
          .finally(() => busy--);
        const done = Messages.filter((message) => !keep.has(message.MessageId ?? ""));
        if (done.length > 0) await deleteMessages(options, done);
      } catch (error) {
        if (stopping) break;
        options.onError(error);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  };
  for (let started = 0; started < floor; started++) spawn();

  return {
    running: () => !stopping,
    async stop(graceMs = 5_000) {
      stopping = true;
      clearTimeout(pendingScaleUp);
      // An idle long poll holds nothing: cut it short. A batch being handled runs to its end.
      abort.abort();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...loops]),
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
