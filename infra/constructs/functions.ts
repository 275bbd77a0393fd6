import { Duration } from "aws-cdk-lib";
import type { ITableV2 } from "aws-cdk-lib/aws-dynamodb";
import { Rule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { Construct } from "constructs";
import { environmentFor } from "../../functions/config.ts";
import { BUS_RULES } from "../../functions/core/bus-rules.ts";
import {
  DELIVERY_BATCH_SIZE,
  type DeliveryQueueSettings,
} from "../../functions/core/delivery-settings.ts";
import type { StackSettings } from "../settings.ts";
import type { Messaging } from "./messaging.ts";
import { SwitchyardFunction } from "./switchyard-function.ts";

export interface FunctionsProps {
  table: ITableV2;
  messaging: Messaging;
  settings: StackSettings;
  queueSettings: DeliveryQueueSettings;
}

/** The four functions, each granted exactly what it calls, and what invokes them. */
export class Functions extends Construct {
  readonly trigger: SwitchyardFunction;
  readonly api: SwitchyardFunction;
  readonly fanOut: SwitchyardFunction;
  readonly deliverer: SwitchyardFunction;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const { table, messaging, settings, queueSettings } = props;
    const environment = environmentFor({
      tableName: table.tableName,
      busName: messaging.bus.eventBusName,
      deliveryQueueUrl: messaging.deliveryQueue.queueUrl,
      deadLetterQueueUrl: messaging.deadLetterQueue.queueUrl,
      maxRetries: settings.retries,
      retryBaseSeconds: settings.retryBaseSeconds,
      deliveryTimeoutSeconds: settings.deliveryTimeoutSeconds,
      allowPrivateUrls: settings.allowPrivateUrls,
      requireHttps: settings.requireHttps,
    });
    // The two API functions read and write the table and put events on the bus.
    const apiFunction = (id: string, name: "trigger" | "api", description: string) => {
      const fn = new SwitchyardFunction(this, id, {
        name,
        description,
        environment,
        timeout: Duration.seconds(10),
      });
      table.grantReadWriteData(fn);
      messaging.bus.grantPutEventsTo(fn);
      return fn;
    };
    this.trigger = apiFunction(
      "Trigger",
      "trigger",
      "POST /api/v2/public/event: accepts events and puts them on the bus",
    );
    this.api = apiFunction(
      "Api",
      "api",
      "Management API: event definitions, webhooks, deliveries, dead letters",
    );

    this.fanOut = new SwitchyardFunction(this, "FanOut", {
      name: "fanout",
      description: "Bus target: one delivery and one queue message per matching subscription",
      environment,
      timeout: Duration.seconds(30),
    });
    table.grantReadWriteData(this.fanOut);
    messaging.deliveryQueue.grantSendMessages(this.fanOut);
    for (const rule of BUS_RULES) {
      new Rule(this, `${rule.id}Rule`, {
        eventBus: messaging.bus,
        description: rule.description,
        eventPattern: rule.pattern,
        targets: [
          new LambdaFunction(this.fanOut, {
            // EventBridge keeps retrying a failing fan-out for a day, then parks the event.
            retryAttempts: 185,
            maxEventAge: Duration.hours(24),
            deadLetterQueue: messaging.busDeadLetterQueue,
          }),
        ],
      });
    }

    this.deliverer = new SwitchyardFunction(this, "Deliverer", {
      name: "deliverer",
      description: "Delivery queue consumer: signed webhooks, retries, dead letters",
      environment,
      timeout: Duration.seconds(queueSettings.delivererTimeoutSeconds),
      memorySize: 512,
    });
    table.grantReadWriteData(this.deliverer);
    messaging.bus.grantPutEventsTo(this.deliverer);
    messaging.deadLetterQueue.grantSendMessages(this.deliverer);
    this.deliverer.addEventSource(
      new SqsEventSource(messaging.deliveryQueue, {
        batchSize: DELIVERY_BATCH_SIZE,
        reportBatchItemFailures: true,
      }),
    );
  }
}
