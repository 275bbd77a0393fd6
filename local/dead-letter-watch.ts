import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";

export interface WatchedQueue {
  /** What the queue holds, for the message: "fan-out dead-letter queue". */
  label: string;
  url: string;
}

export interface DeadLetterWatch {
  stop(): void;
}

/**
 * The local stand-in for the stack's dead-letter alarms: checks the system's dead-letter
 * queues every few seconds and reports each time one holds more messages than before, so an
 * event parked there is seen, not silently kept.
 */
export function watchDeadLetters(
  client: SQSClient,
  queues: WatchedQueue[],
  report: (message: string) => void,
  intervalMs = 2_000,
): DeadLetterWatch {
  const seen = new Map<string, number>();
  let checking = false;
  const check = async () => {
    if (checking) return;
    checking = true;
    try {
      for (const queue of queues) {
        const count = await depth(client, queue.url);
        const before = seen.get(queue.url);
        seen.set(queue.url, count);
        // The first reading reports what an earlier run left there too.
        if (count > (before ?? 0)) {
          report(
            `ALARM: ${count} message${count === 1 ? "" : "s"} in the ${queue.label} (${queue.url})`,
          );
        }
      }
    } catch {
      // The emulator is stopping or busy: the next check tries again.
    } finally {
      checking = false;
    }
  };
  void check();
  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

async function depth(client: SQSClient, url: string): Promise<number> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}
