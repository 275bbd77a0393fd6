import {
  ChangeMessageVisibilityCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { DeliveryQueue } from "../core/ports.ts";
import { laneOf, type QueueUrls } from "./queue-lanes.ts";
import { type Pause, sendResendingFailures, sleep } from "./resend-failures.ts";

/** SendMessageBatch takes at most 10 messages a call. */
const BATCH_SIZE = 10;

/** The SQS delivery queue, the slow lane's queue and their dead-letter queue. */
export function createDeliveryQueue(
  client: SQSClient,
  urls: QueueUrls,
  pause: Pause = sleep,
): DeliveryQueue {
  return {
    async enqueue(messages) {
      for (let start = 0; start < messages.length; start += BATCH_SIZE) {
        const entries = messages.slice(start, start + BATCH_SIZE).map((message, index) => ({
          Id: String(index),
          MessageBody: JSON.stringify(message),
        }));
        await sendWithRetries(client, urls.deliveryQueueUrl, entries, pause);
      }
    },

    async moveToDeadLetterQueue(message) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: urls.deadLetterQueueUrl,
          MessageBody: JSON.stringify(message),
        }),
      );
    },

    async forwardToSlowLane(message) {
      await client.send(
        new SendMessageCommand({
          QueueUrl: urls.slowDeliveryQueueUrl,
          MessageBody: JSON.stringify(message),
        }),
      );
    },

    laneOf: (queueArn) => laneOf(urls, queueArn),

    async delay(lane, receiptHandle, seconds) {
      await client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: lane === "slow" ? urls.slowDeliveryQueueUrl : urls.deliveryQueueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: seconds,
        }),
      );
    },
  };
}

async function sendWithRetries(
  client: SQSClient,
  queueUrl: string,
  entries: SendMessageBatchRequestEntry[],
  pause: Pause,
): Promise<void> {
  await sendResendingFailures(
    entries,
    async (pending) => {
      const result = await client.send(
        new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }),
      );
      const failedIds = new Set((result.Failed ?? []).map((failure) => failure.Id));
      return {
        failed: pending.filter((entry) => failedIds.has(entry.Id)),
        reason: result.Failed?.[0]?.Message,
      };
    },
    "SQS",
    pause,
  );
}
