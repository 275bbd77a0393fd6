import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import {
  ChangeMessageVisibilityCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { lazyBusFor } from "../../../functions/adapters/deployment/lazy-bus.ts";
import { lazyQueueFor } from "../../../functions/adapters/deployment/lazy-queue.ts";
import { loadConfig } from "../../../functions/config.ts";
import type { DeliveryMessage, RoutedEvent } from "../../../functions/core/model.ts";

// The deployment's own wiring, as a handler makes it at start; the emulator endpoint gives the
// clients static credentials, and the mocks answer every call.
const config = loadConfig({
  SWITCHYARD_AWS_ENDPOINT: "http://127.0.0.1:1",
  SWITCHYARD_BUS_NAME: "switchyard-test-bus",
  SWITCHYARD_DELIVERY_QUEUE_URL: "http://127.0.0.1:1/000000000000/switchyard-deliveries",
  SWITCHYARD_SLOW_DELIVERY_QUEUE_URL: "http://127.0.0.1:1/000000000000/switchyard-deliveries-slow",
  SWITCHYARD_DLQ_URL: "http://127.0.0.1:1/000000000000/switchyard-deliveries-dlq",
});
const eventBridge = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);

afterEach(() => {
  eventBridge.reset();
  sqs.reset();
});
afterAll(() => {
  eventBridge.restore();
  sqs.restore();
});

const event: RoutedEvent = {
  v: 1,
  app_id: "app_01HZY0000000000000000000AA",
  event_id: "evt_01HZY000000000000000000001",
  type: "contact_created",
  platform: false,
  linked_account_id: "acme",
  timestamp: "2026-05-01T12:00:00.000Z",
  payload: { index: 1 },
};
const message: DeliveryMessage = {
  v: 1,
  app_id: "app_01HZY0000000000000000000AA",
  delivery_id: "dlv_01HZY000000000000000000001",
};

describe("lazyBusFor: the EventBridge SDK loaded at the first publish", () => {
  it("puts the first event on the deployment's bus, and every later one by the same client", async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{}] });
    const bus = lazyBusFor(config);

    await bus.publish([event]);
    expect(
      await bus.publishEach([{ ...event, event_id: "evt_01HZY000000000000000000002" }]),
    ).toEqual([undefined]);

    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 2);
    expect(eventBridge).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [expect.objectContaining({ EventBusName: "switchyard-test-bus" })],
    });
    const [first, second] = eventBridge.calls();
    expect(first?.thisValue).toBe(second?.thisValue);
  });

  it("answers a refused publish as the publisher does", async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: "InvalidArgument" }] });

    await expect(lazyBusFor(config).publish([event])).rejects.toMatchObject({
      name: "PublishRejected",
    });
  });
});

describe("lazyQueueFor: the SQS SDK loaded at the first send", () => {
  it("tells a record's lane without a call", () => {
    const queue = lazyQueueFor(config);
    expect(queue.laneOf("arn:aws:sqs:us-east-1:000000000000:switchyard-deliveries-slow")).toBe(
      "slow",
    );
    expect(queue.laneOf("arn:aws:sqs:us-east-1:000000000000:switchyard-deliveries")).toBe("main");
    expect(sqs.calls()).toHaveLength(0);
  });

  it("sends to each of the deployment's queues, all by one client", async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [] });
    sqs.on(SendMessageCommand).resolves({ MessageId: "m-1" });
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    const queue = lazyQueueFor(config);

    await Promise.all([queue.enqueue([message]), queue.forwardToSlowLane(message)]);
    await queue.moveToDeadLetterQueue(message);
    await queue.delay("slow", "receipt-handle-1", 30);

    expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      QueueUrl: config.deliveryQueueUrl,
    });
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: config.slowDeliveryQueueUrl,
    });
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: config.deadLetterQueueUrl,
    });
    expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, {
      QueueUrl: config.slowDeliveryQueueUrl,
      ReceiptHandle: "receipt-handle-1",
      VisibilityTimeout: 30,
    });
    expect(new Set(sqs.calls().map((call) => call.thisValue)).size).toBe(1);
  });
});
