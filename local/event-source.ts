import type { Message, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { LOCAL_REGION } from "./emulators/credentials.ts";
import { type Poller, startPoller } from "./sqs-poller.ts";

export interface EventSourceOptions {
  client: SQSClient;
  queueUrl: string;
  queueArn: string;
  /** Records per invocation, as the mapping's BatchSize. */
  batchSize: number;
  /** Most invocations at once, as the mapping's MaximumConcurrency (it scales as Lambda does). */
  concurrency: number;
  /** How long a received batch stays hidden (see `startPoller`). */
  visibilityTimeoutSeconds?: number;
  /** The function: Lambda's SQS event in, partial batch failures out. */
  invoke(event: SQSEvent): Promise<SQSBatchResponse>;
  onError(error: unknown): void;
}

/**
 * Lambda's SQS event source mapping on this machine: receives batches, hands each to the
 * function as an `SQSEvent`, deletes the records that succeeded and leaves the ones in
 * `batchItemFailures` (or the whole batch, when the function throws) to come back after their
 * visibility timeout — and, past the queue's `maxReceiveCount`, to be moved to its DLQ by the
 * queue's own redrive, as in AWS.
 */
export function startEventSource(options: EventSourceOptions): Poller {
  return startPoller({
    client: options.client,
    queueUrl: options.queueUrl,
    batchSize: options.batchSize,
    concurrency: options.concurrency,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    onError: options.onError,
    handle: async (messages) => {
      const { batchItemFailures } = await options.invoke(sqsEvent(messages, options.queueArn));
      return new Set(batchItemFailures.map((failure) => failure.itemIdentifier));
    },
  });
}

function sqsEvent(messages: Message[], queueArn: string): SQSEvent {
  return {
    Records: messages.map(
      (message): SQSRecord => ({
        messageId: message.MessageId ?? "",
        receiptHandle: message.ReceiptHandle ?? "",
        body: message.Body ?? "",
        attributes: message.Attributes as unknown as SQSRecord["attributes"],
        messageAttributes: {},
        md5OfBody: message.MD5OfBody ?? "",
        eventSource: "aws:sqs",
        eventSourceARN: queueArn,
        awsRegion: LOCAL_REGION,
      }),
    ),
  };
}
