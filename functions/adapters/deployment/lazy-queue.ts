import type { Config } from "../../config.ts";
import type { DeliveryQueue } from "../../core/ports.ts";
import { onFirstUse } from "../on-first-use.ts";
import { laneOf, queueUrlsOf } from "../queue-lanes.ts";

/**
 * The delivery queue and DLQ of this deployment, for the deliverer, which sends only to retry,
 * hold or dead-letter a delivery: its SDK and client are loaded at the first send. Telling a
 * record's lane needs neither.
 */
export function lazyQueueFor(config: Config): DeliveryQueue {
  const urls = queueUrlsOf(config);
  const queue = onFirstUse(async () => {
    const [{ createDeliveryQueue }, { createSqsClient }] = await Promise.all([
      import("../delivery-queue.ts"),
      import("../clients/sqs.ts"),
    ]);
    return createDeliveryQueue(createSqsClient(config.aws), urls);
  });
  return {
    enqueue: async (messages) => (await queue()).enqueue(messages),
    moveToDeadLetterQueue: async (message) => (await queue()).moveToDeadLetterQueue(message),
    forwardToSlowLane: async (message) => (await queue()).forwardToSlowLane(message),
    delay: async (lane, receiptHandle, seconds) =>
      (await queue()).delay(lane, receiptHandle, seconds),
    release: async (lane, receiptHandles) => (await queue()).release(lane, receiptHandles),
    laneOf: (queueArn) => laneOf(urls, queueArn),
  };
}
