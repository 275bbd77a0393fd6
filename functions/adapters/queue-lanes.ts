import type { Config } from "../config.ts";
import type { Lane } from "../core/subscription-health.ts";

/** The queues a delivery's message travels by. */
export interface QueueUrls {
  deliveryQueueUrl: string;
  /** The slow lane's queue: deliveries of failing, paused or slow subscriptions. */
  slowDeliveryQueueUrl: string;
  deadLetterQueueUrl: string;
}

/** The deployment's queues, from its configuration. */
export function queueUrlsOf(config: Config): QueueUrls {
  return {
    deliveryQueueUrl: config.deliveryQueueUrl,
    slowDeliveryQueueUrl: config.slowDeliveryQueueUrl,
    deadLetterQueueUrl: config.deadLetterQueueUrl,
  };
}

/**
 * The lane of the queue with this ARN (a record's `eventSourceARN`): the slow lane's queue, or
 * the main lane for any other. Needs no SQS call, nor its SDK.
 */
export function laneOf(urls: QueueUrls, queueArn: string): Lane {
  // An ARN ends in the queue's name, as its URL does.
  const name = (reference: string) => reference.split(/[:/]/).at(-1);
  return name(queueArn) === name(urls.slowDeliveryQueueUrl) ? "slow" : "main";
}
