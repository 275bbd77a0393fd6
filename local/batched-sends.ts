import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";

/** SQS takes at most ten messages a batch. */
const BATCH_LIMIT = 10;

interface Waiting {
  body: string;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Sends messages to one queue, gathering those sent in the same turn of the event loop into
 * SendMessageBatch calls of up to ten: under load the local bus makes one call for several
 * events instead of one each. Each send settles when its own message is kept, or fails alone
 * when SQS refuses it.
 */
export function batchedSender(sqs: SQSClient, queueUrl: string): (body: string) => Promise<void> {
  let waiting: Waiting[] = [];
  const flush = () => {
    const taken = waiting;
    waiting = [];
    for (let start = 0; start < taken.length; start += BATCH_LIMIT) {
      void sendBatch(sqs, queueUrl, taken.slice(start, start + BATCH_LIMIT));
    }
  };
  return (body) =>
    new Promise<void>((resolve, reject) => {
      if (waiting.length === 0) setImmediate(flush);
      waiting.push({ body, resolve, reject });
    });
}

async function sendBatch(sqs: SQSClient, queueUrl: string, batch: Waiting[]) {
  try {
    const { Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((message, index) => ({ Id: String(index), MessageBody: message.body })),
      }),
    );
    const failures = new Map(Failed.map((failure) => [failure.Id, failure.Message]));
    batch.forEach((message, index) => {
      const id = String(index);
      if (failures.has(id)) message.reject(new Error(failures.get(id) ?? "refused by SQS"));
      else message.resolve();
    });
  } catch (error) {
    for (const message of batch) message.reject(error as Error);
  }
}
