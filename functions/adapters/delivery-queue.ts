import { createHash } from "node:crypto";
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { DeliveryMessage } from "../core/model.ts";
import type { DeliveryQueue } from "../core/ports.ts";
import { laneOf, laneQueueUrl, type QueueUrls } from "./queue-lanes.ts";
import { type Pause, sendResendingFailures, sleep } from "./resend-failures.ts";

/** SendMessageBatch takes at most 10 messages a call, as ChangeMessageVisibilityBatch does. */
const BATCH_SIZE = 10;

/**
 * The SQS delivery queue, the slow lane's queue and their dead-letter queue, and the ordered
 * lane's FIFO queue and FIFO dead-letter queue: a message that names a message group (an
 * ordered delivery's) takes the FIFO ones.
 */
export function createDeliveryQueue(
  client: SQSClient,
  urls: QueueUrls,
  pause: Pause = sleep,
): DeliveryQueue {
  return {
    async enqueue(messages) {
      const unordered = messages.filter((message) => message.group === undefined);
      for (let start = 0; start < unordered.length; start += BATCH_SIZE) {
        const entries = unordered.slice(start, start + BATCH_SIZE).map((message, index) => ({
          Id: String(index),
          MessageBody: JSON.stringify(message),
        }));
        await sendWithRetries(client, urls.deliveryQueueUrl, entries, pause);
      }
      for (const wave of inWaves(messages.filter((message) => message.group !== undefined))) {
        for (let start = 0; start < wave.length; start += BATCH_SIZE) {
          const entries = wave.slice(start, start + BATCH_SIZE).map((message, index) => ({
            Id: String(index),
            MessageBody: JSON.stringify(message),
            MessageGroupId: message.group,
            MessageDeduplicationId: deduplicationId(message),
          }));
          await sendWithRetries(client, urls.orderedDeliveryQueueUrl, entries, pause);
        }
      }
    },

    async moveToDeadLetterQueue(message) {
      const body = JSON.stringify(message);
      await client.send(
        new SendMessageCommand(
          message.group === undefined
            ? { QueueUrl: urls.deadLetterQueueUrl, MessageBody: body }
            : {
                QueueUrl: urls.orderedDeadLetterQueueUrl,
                MessageBody: body,
                // Dead letters keep no order: each is a group of its own, so one the recorder
                // fails on holds back no other.
                MessageGroupId: message.delivery_id,
                // A dead letter sent twice is one: the same delivery, reason and time.
                MessageDeduplicationId: createHash("sha256").update(body).digest("hex"),
              },
        ),
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
          QueueUrl: laneQueueUrl(urls, lane),
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: seconds,
        }),
      );
    },

    async release(lane, receiptHandles) {
      for (let start = 0; start < receiptHandles.length; start += BATCH_SIZE) {
        const { Failed = [] } = await client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: laneQueueUrl(urls, lane),
            Entries: receiptHandles.slice(start, start + BATCH_SIZE).map((handle, index) => ({
              Id: String(index),
              ReceiptHandle: handle,
              VisibilityTimeout: 0,
            })),
          }),
        );
        if (Failed.length > 0) {
          throw new Error(`SQS kept ${Failed.length} messages hidden: ${Failed[0]?.Message}`);
        }
      }
    },
  };
}

/**
 * Ordered messages in waves that each hold at most one message of a group, the k-th wave the
 * k-th of each group, sent one wave after another: a batch send may fail some entries and
 * take the rest, and a resend must never put a group's message behind its successor.
 */
function inWaves(messages: DeliveryMessage[]): DeliveryMessage[][] {
  const waves: DeliveryMessage[][] = [];
  const sent = new Map<string, number>();
  for (const message of messages) {
    const group = message.group ?? "";
    const position = sent.get(group) ?? 0;
    sent.set(group, position + 1);
    const wave = waves[position] ?? [];
    wave.push(message);
    waves[position] = wave;
  }
  return waves;
}

/**
 * What the FIFO queue deduplicates a message by, for five minutes: its delivery, so a fan-out
 * that runs twice queues it once; a retry's message, which carries it again, by its ticket too.
 */
function deduplicationId(message: DeliveryMessage): string {
  return message.retry ? `${message.delivery_id}.${message.retry.carrier}` : message.delivery_id;
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
