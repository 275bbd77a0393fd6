import type { Config } from "../config.ts";
import type { Lane } from "../core/subscription-health.ts";

/** The queues a delivery's message travels by. */
export interface QueueUrls {
  deliveryQueueUrl: string;
  /** The slow lane's queue: deliveries of failing, paused or slow subscriptions. */
  slowDeliveryQueueUrl: string;
  deadLetterQueueUrl: string;
  /** The ordered lane's FIFO queue: ordered subscriptions' deliveries (SPEC §3.1). */
  orderedDeliveryQueueUrl: string;
  /** Its FIFO dead-letter queue: a FIFO queue's redrive can only go to a FIFO queue. */
  orderedDeadLetterQueueUrl: string;
}

/** The deployment's queues, from its configuration. */
export function queueUrlsOf(config: Config): QueueUrls {
  return {
    deliveryQueueUrl: config.deliveryQueueUrl,
    slowDeliveryQueueUrl: config.slowDeliveryQueueUrl,
    deadLetterQueueUrl: config.deadLetterQueueUrl,
    orderedDeliveryQueueUrl: config.orderedDeliveryQueueUrl,
    orderedDeadLetterQueueUrl: config.orderedDeadLetterQueueUrl,
  };
}

/**
 * The lane of the queue with this ARN (a record's `eventSourceARN`): the slow lane's queue,
 * the ordered lane's, or the main lane for any other. Needs no SQS call, nor its SDK.
 */
export function laneOf(urls: QueueUrls, queueArn: string): Lane {
  // An ARN ends in the queue's name, as its URL does.
  const name = (reference: string) => reference.split(/[:/]/).at(-1);
  const queue = name(queueArn);
  if (queue === name(urls.slowDeliveryQueueUrl)) return "slow";
  if (queue === name(urls.orderedDeliveryQueueUrl)) return "ordered";
  return "main";
}

/** The queue whose messages `lane` receives. */
export function laneQueueUrl(urls: QueueUrls, lane: Lane): string {
  if (lane === "slow") return urls.slowDeliveryQueueUrl;
  if (lane === "ordered") return urls.orderedDeliveryQueueUrl;
  return urls.deliveryQueueUrl;
}
