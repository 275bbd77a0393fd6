import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";

/** SQS takes at most ten messages a batch. */
const BATCH_LIMIT = 10;

/**
 * Nor more than 256 KiB of messages in all (AWS has since allowed 1 MiB, which fauxqs checks):
 * ten envelopes of large events together would be refused whole.
 */
const BATCH_BYTES = 262_144;

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
    for (const batch of batches(taken)) void sendBatch(sqs, queueUrl, batch);
  };
  return (body) =>
    new Promise<void>((resolve, reject) => {
      if (waiting.length === 0) setImmediate(flush);
      waiting.push({ body, resolve, reject });
    });
}

/** The messages in order, in batches SQS takes: one message alone when it is that large. */
function batches(messages: Waiting[]): Waiting[][] {
  const all: Waiting[][] = [];
  let batch: Waiting[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.body, "utf8");
    if (batch.length === BATCH_LIMIT || (batch.length > 0 && bytes + size > BATCH_BYTES)) {
      all.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(message);
    bytes += size;
  }
  if (batch.length > 0) all.push(batch);
  return all;
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
