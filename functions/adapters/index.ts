import type { Config } from "../config.ts";
import type { DeliveryQueue, EventPublisher, Store } from "../core/ports.ts";
import { createDynamoClient, createEventBridgeClient, createSqsClient } from "./clients.ts";
import { createDeliveryQueue } from "./delivery-queue.ts";
import { createEventPublisher } from "./event-publisher.ts";
import { createDynamoStore } from "./store/index.ts";

/** The DynamoDB store of this deployment. */
export function storeFor(config: Config): Store {
  return createDynamoStore({
    doc: createDynamoClient(config.aws),
    tableName: config.tableName,
    retentionDays: config.retentionDays,
  });
}

/** The EventBridge bus of this deployment. */
export function busFor(config: Config): EventPublisher {
  return createEventPublisher(createEventBridgeClient(config.aws), config.busName);
}

/** The delivery queue and DLQ of this deployment. */
export function queueFor(config: Config): DeliveryQueue {
  return createDeliveryQueue(createSqsClient(config.aws), {
    deliveryQueueUrl: config.deliveryQueueUrl,
    slowDeliveryQueueUrl: config.slowDeliveryQueueUrl,
    deadLetterQueueUrl: config.deadLetterQueueUrl,
  });
}
