import {
  ChangeMessageVisibilityCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { DeliveryMessage } from "../core/model.ts";
import type { DeliveryQueue } from "../core/ports.ts";
import { DELIVERY_STATUS_REASONS } from "../core/schemas.ts";
import { type Pause, sendResendingFailures, sleep } from "./resend-failures.ts";

/** SendMessageBatch takes at most 10 messages a call. */
const BATCH_SIZE = 10;

export interface QueueUrls {
  deliveryQueueUrl: string;
  /** The slow lane's queue: deliveries of failing, paused or slow subscriptions. */
  slowDeliveryQueueUrl: string;
  deadLetterQueueUrl: string;
}

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

    laneOf(queueArn) {
      // An ARN ends in the queue's name, as its URL does.
      const name = (reference: string) => reference.split(/[:/]/).at(-1);
      return name(queueArn) === name(urls.slowDeliveryQueueUrl) ? "slow" : "main";
    },

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

/**
 * A delivery queue (or dead-letter queue) message body as the domain's message; throws on
 * anything else, so that record fails alone.
 */
export function parseDeliveryMessage(body: string): DeliveryMessage {
  const message = JSON.parse(body) as Partial<DeliveryMessage> | null;
  if (
    message?.v !== 1 ||
    typeof message.app_id !== "string" ||
    typeof message.delivery_id !== "string"
  ) {
    throw new Error("not a delivery message of version 1");
  }
  const parsed: DeliveryMessage = {
    v: 1,
    app_id: message.app_id,
    delivery_id: message.delivery_id,
  };
  const stamp = message.dead_letter;
  if (stamp !== undefined) {
    if (
      typeof stamp !== "object" ||
      stamp === null ||
      !DELIVERY_STATUS_REASONS.includes(stamp.reason) ||
      typeof stamp.at !== "string" ||
      Number.isNaN(Date.parse(stamp.at))
    ) {
      throw new Error("a delivery message with a malformed dead_letter stamp");
    }
    parsed.dead_letter = { reason: stamp.reason, at: stamp.at };
  }
  const ticket = message.slow_lane;
  if (ticket !== undefined) {
    if (
      typeof ticket !== "object" ||
      ticket === null ||
      typeof ticket.carrier !== "string" ||
      typeof ticket.from !== "string"
    ) {
      throw new Error("a delivery message with a malformed slow_lane ticket");
    }
    parsed.slow_lane = { carrier: ticket.carrier, from: ticket.from };
  }
  return parsed;
}
