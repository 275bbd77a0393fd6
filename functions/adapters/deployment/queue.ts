import type { Config } from "../../config.ts";
import type { DeliveryQueue } from "../../core/ports.ts";
import { createSqsClient } from "../clients/sqs.ts";
import { createDeliveryQueue } from "../delivery-queue.ts";
import { queueUrlsOf } from "../queue-lanes.ts";

/**
 * The delivery queue and DLQ of this deployment, made at start (`lazyQueueFor` makes it at
 * first use).
 */
export function queueFor(config: Config): DeliveryQueue {
  return createDeliveryQueue(createSqsClient(config.aws), queueUrlsOf(config));
}
