import { Duration } from "aws-cdk-lib";
import type { ITableV2 } from "aws-cdk-lib/aws-dynamodb";
import { Rule } from "aws-cdk-lib/aws-events";
import { SqsQueue } from "aws-cdk-lib/aws-events-targets";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { EventSourceMapping, type IFunction } from "aws-cdk-lib/aws-lambda";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { TABLE } from "../../functions/adapters/store/table-definition.ts";
import { environmentFor } from "../../functions/config.ts";
import { BUS_CONSUMERS, BUS_RULES } from "../../functions/core/bus-rules.ts";
import {
  DEFAULT_CONCURRENCY,
  DELIVERY_BATCH_SIZE,
  type DeliveryQueueSettings,
  ORDERED_DELIVERY_BATCH_SIZE,
} from "../../functions/core/delivery-settings.ts";
import type { StackSettings } from "../settings.ts";
import { TABLE_ACCESS } from "../table-access.ts";
import type { Messaging } from "./messaging.ts";
import { SwitchyardFunction } from "./switchyard-function.ts";

export interface FunctionsProps {
  table: ITableV2;
  secretsKey: IKey;
  messaging: Messaging;
  settings: StackSettings;
  queueSettings: DeliveryQueueSettings;
}

/**
 * The functions, what feeds them, and their grants: each role holds exactly the actions its
 * code calls, on exactly the resources it calls them on (the stack test lists them).
 */
export class Functions extends Construct {
  readonly trigger: SwitchyardFunction;
  readonly api: SwitchyardFunction;
  readonly fanOut: SwitchyardFunction;
  readonly runner: SwitchyardFunction;
  readonly deliverer: SwitchyardFunction;
  readonly deadLetters: SwitchyardFunction;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const { table, secretsKey, messaging, settings, queueSettings } = props;
    const environment = environmentFor({
      tableName: table.tableName,
      busName: messaging.bus.eventBusName,
      deliveryQueueUrl: messaging.deliveryQueue.queueUrl,
      slowDeliveryQueueUrl: messaging.slowDeliveryQueue.queueUrl,
      deadLetterQueueUrl: messaging.deadLetterQueue.queueUrl,
      orderedDeliveryQueueUrl: messaging.orderedDeliveryQueue.queueUrl,
      orderedDeadLetterQueueUrl: messaging.orderedDeadLetterQueue.queueUrl,
      maxRetries: settings.retries,
      retryBaseSeconds: settings.retryBaseSeconds,
      retentionDays: settings.retentionDays,
      disableAfterHours: settings.disableAfterHours,
      deliveryTimeoutSeconds: settings.deliveryTimeoutSeconds,
      allowPrivateUrls: settings.allowPrivateUrls,
      requireHttps: settings.requireHttps,
      secretsKeyId: secretsKey.keyArn,
    });
    const allowTable = (fn: IFunction, actions: readonly string[], indexes: boolean) =>
      allow(
        fn,
        actions.map((action) => `dynamodb:${action}`),
        [
          table.tableArn,
          ...(indexes ? TABLE.indexes.map((index) => `${table.tableArn}/index/${index.name}`) : []),
        ],
      );
    const allowPutEvents = (fn: IFunction) =>
      allow(fn, ["events:PutEvents"], [messaging.bus.eventBusArn]);

    this.trigger = new SwitchyardFunction(this, "Trigger", {
      name: "trigger",
      description:
        "POST /api/v2/public/event: accepts events, queues ordered subscriptions' deliveries, puts the events on the bus",
      environment,
      timeout: Duration.seconds(10),
      ...(settings.triggerReservedConcurrency > 0 && {
        reservedConcurrentExecutions: settings.triggerReservedConcurrency,
      }),
    });
    allowTable(this.trigger, TABLE_ACCESS.trigger, false);
    allowPutEvents(this.trigger);
    // Ordered subscriptions' deliveries are queued by the trigger, in trigger order.
    allow(this.trigger, ["sqs:SendMessage"], [messaging.orderedDeliveryQueue.queueArn]);

    this.api = new SwitchyardFunction(this, "Api", {
      name: "api",
      description:
        "Management API: event definitions, webhooks, workflows, deliveries, dead letters",
      environment,
      // A workflow's test run waits up to 10 s for its request (TEST_SEND_TIMEOUT_MS), on top of
      // resolving its host and opening the secret: within API Gateway's 30 s.
      timeout: Duration.seconds(20),
    });
    // Lists query the indexes; definition changes are announced on the bus; secrets are
    // sealed on create and rotate and opened to be shown.
    allowTable(this.api, TABLE_ACCESS.api, true);
    allowPutEvents(this.api);
    allow(this.api, ["kms:GenerateDataKey", "kms:Decrypt"], [secretsKey.keyArn]);
    // A retry or redrive queues the delivery again, an ordered one on the ordered lane.
    allow(
      this.api,
      ["sqs:SendMessage"],
      [messaging.deliveryQueue.queueArn, messaging.orderedDeliveryQueue.queueArn],
    );

    this.fanOut = new SwitchyardFunction(this, "FanOut", {
      name: "fanout",
      description:
        "Consumes the bus rule's queue: one delivery and one queue message per subscription",
      environment,
      timeout: Duration.seconds(BUS_CONSUMERS.fanout.timeoutSeconds),
    });
    allowTable(this.fanOut, TABLE_ACCESS.fanout, false);
    // An ordered subscription's delivery of an event the trigger did not route: a platform
    // event's, or one triggered before the trigger saw the subscription ordered.
    allow(
      this.fanOut,
      ["sqs:SendMessage"],
      [messaging.deliveryQueue.queueArn, messaging.orderedDeliveryQueue.queueArn],
    );

    this.runner = new SwitchyardFunction(this, "Runner", {
      name: "runner",
      description:
        "Workflow runner: renders each app event's workflows into deliveries and queues them",
      environment,
      timeout: Duration.seconds(BUS_CONSUMERS.runner.timeoutSeconds),
    });
    allowTable(this.runner, TABLE_ACCESS.runner, false);
    allow(this.runner, ["sqs:SendMessage"], [messaging.deliveryQueue.queueArn]);
    // A run that cannot be rendered is reported at once (workflow.errored).
    allowPutEvents(this.runner);

    const consumers = { fanout: this.fanOut, runner: this.runner };
    for (const rule of BUS_RULES) {
      const target = messaging.busTarget(rule.id);
      new Rule(this, `${rule.id}Rule`, {
        eventBus: messaging.bus,
        description: rule.description,
        eventPattern: rule.pattern,
        targets: [
          new SqsQueue(target.queue, {
            // Covers only the hand-off to the queue: EventBridge retries it for a day, then
            // parks the event in the bus DLQ.
            retryAttempts: 185,
            maxEventAge: Duration.hours(24),
            deadLetterQueue: messaging.busDeadLetterQueue,
          }),
        ],
      });
      consume(this, `${rule.id}Source`, consumers[rule.consumer], target.queue, {
        batchSize: rule.queue.batchSize,
        maxConcurrency: settings.fanOutConcurrency,
      });
    }

    this.deliverer = new SwitchyardFunction(this, "Deliverer", {
      name: "deliverer",
      description: "Delivery queues' consumer: signed webhooks, retries, dead letters",
      environment,
      timeout: Duration.seconds(queueSettings.delivererTimeoutSeconds),
      memorySize: 512,
    });
    allowTable(this.deliverer, TABLE_ACCESS.deliverer, false);
    allowPutEvents(this.deliverer);
    allow(this.deliverer, ["kms:Decrypt"], [secretsKey.keyArn]);
    const lanes = [
      messaging.deliveryQueue,
      messaging.slowDeliveryQueue,
      messaging.orderedDeliveryQueue,
    ];
    // Dead letters, and the main lane's forwards of failing or slow subscriptions' deliveries.
    allow(
      this.deliverer,
      ["sqs:SendMessage"],
      [
        messaging.deadLetterQueue.queueArn,
        messaging.orderedDeadLetterQueue.queueArn,
        messaging.slowDeliveryQueue.queueArn,
      ],
    );
    // The backoff and holds: the deliverer hides a message until its next turn (and, on the
    // ordered lane, shows a group's later messages again at once: the same action, batched).
    allow(
      this.deliverer,
      ["sqs:ChangeMessageVisibility"],
      lanes.map((lane) => lane.queueArn),
    );
    // One function, three mappings: each lane has its own cap, so the slow lane's receivers
    // can never take the main lane's invocations, nor ordered subscriptions' either.
    consume(this, "DeliverySource", this.deliverer, messaging.deliveryQueue, {
      batchSize: DELIVERY_BATCH_SIZE,
      maxConcurrency: settings.deliveryConcurrency,
    });
    consume(this, "SlowDeliverySource", this.deliverer, messaging.slowDeliveryQueue, {
      batchSize: DELIVERY_BATCH_SIZE,
      maxConcurrency: settings.slowDeliveryConcurrency,
    });
    consume(this, "OrderedDeliverySource", this.deliverer, messaging.orderedDeliveryQueue, {
      batchSize: ORDERED_DELIVERY_BATCH_SIZE,
      maxConcurrency: settings.orderedDeliveryConcurrency,
    });

    this.deadLetters = new SwitchyardFunction(this, "DeadLetters", {
      name: "dead-letters",
      description: "Delivery DLQ consumer: records every message there as a dead-lettered delivery",
      environment,
      timeout: Duration.seconds(queueSettings.deadLetterConsumerTimeoutSeconds),
    });
    allowTable(this.deadLetters, TABLE_ACCESS["dead-letters"], false);
    allowPutEvents(this.deadLetters);
    consume(this, "DeadLetterSource", this.deadLetters, messaging.deadLetterQueue, {
      batchSize: DELIVERY_BATCH_SIZE,
      maxConcurrency: DEFAULT_CONCURRENCY.deadLetters,
    });
    consume(this, "OrderedDeadLetterSource", this.deadLetters, messaging.orderedDeadLetterQueue, {
      batchSize: DELIVERY_BATCH_SIZE,
      maxConcurrency: DEFAULT_CONCURRENCY.deadLetters,
    });
  }
}

function allow(fn: IFunction, actions: string[], resources: string[]) {
  fn.addToRolePolicy(new PolicyStatement({ actions, resources }));
}

/**
 * An SQS event source with partial batch responses and capped concurrency, and the three
 * actions Lambda's poller needs on the queue (granted by hand: the SqsEventSource helper also
 * grants GetQueueUrl and ChangeMessageVisibility, which no poller calls).
 */
function consume(
  scope: Construct,
  id: string,
  fn: IFunction,
  queue: IQueue,
  options: { batchSize: number; maxConcurrency: number },
) {
  new EventSourceMapping(scope, id, {
    target: fn,
    eventSourceArn: queue.queueArn,
    batchSize: options.batchSize,
    maxConcurrency: options.maxConcurrency,
    reportBatchItemFailures: true,
  });
  allow(
    fn,
    ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
    [queue.queueArn],
  );
}
