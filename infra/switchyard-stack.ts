import { CfnOutput, type CfnResource, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct, IConstruct } from "constructs";
import { BUS_RULES } from "../functions/core/bus-rules.ts";
import { deliveryQueueSettings } from "../functions/core/delivery-settings.ts";
import { acknowledgeFindings } from "./acknowledgements.ts";
import { Alarms } from "./constructs/alarms.ts";
import { Api } from "./constructs/api.ts";
import { Functions } from "./constructs/functions.ts";
import { Messaging } from "./constructs/messaging.ts";
import { Storage } from "./constructs/storage.ts";
import type { StackSettings } from "./settings.ts";

export interface SwitchyardStackProps extends StackProps {
  settings: StackSettings;
}

/** Switchyard in one stack: storage, messaging, functions, the API and alarms. */
/**
 * Visible messages on the ordered lane that page: short of the 120,000 a FIFO queue scans for
 * available message groups, past which one group's backlog blocks the others.
 */
const ORDERED_BACKLOG_ALARM_MESSAGES = 100_000;

export class SwitchyardStack extends Stack {
  constructor(scope: Construct, id: string, props: SwitchyardStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const queueSettings = deliveryQueueSettings({
      maxRetries: settings.retries,
      retryBaseSeconds: settings.retryBaseSeconds,
      deliveryTimeoutSeconds: settings.deliveryTimeoutSeconds,
    });

    const storage = new Storage(this, "Storage");
    const messaging = new Messaging(this, "Messaging", { queueSettings });
    const functions = new Functions(this, "Functions", {
      table: storage.table,
      secretsKey: storage.secretsKey,
      messaging,
      settings,
      queueSettings,
    });
    const api = new Api(this, "Api", {
      trigger: functions.trigger,
      api: functions.api,
      rateLimit: settings.apiRateLimit,
      burstLimit: settings.apiBurstLimit,
    });
    const alarms = new Alarms(this, "Alarms", {
      systemDeadLetterQueues: {
        BusDeadLetter: messaging.busDeadLetterQueue,
        ...Object.fromEntries(
          BUS_RULES.map((rule) => [
            `${rule.id}DeadLetter`,
            messaging.busTarget(rule.id).deadLetterQueue,
          ]),
        ),
      },
      workQueues: {
        Delivery: {
          queue: messaging.deliveryQueue,
          maxAgeSeconds: queueSettings.oldestMessageAlarmSeconds,
        },
        SlowDelivery: {
          queue: messaging.slowDeliveryQueue,
          maxAgeSeconds: queueSettings.slowLaneOldestMessageAlarmSeconds,
        },
        // No age alarm on the ordered lane: a delivery waits there behind its subscription's
        // earlier ones for as long as its receiver keeps failing them — the app's business,
        // not a fault of the system (the deliverer's own faults have their alarms).
        // Drained within seconds by the dead-letter recorder; older means it keeps failing.
        DeliveryDeadLetter: { queue: messaging.deadLetterQueue, maxAgeSeconds: 300 },
        OrderedDeadLetter: { queue: messaging.orderedDeadLetterQueue, maxAgeSeconds: 300 },
        ...Object.fromEntries(
          BUS_RULES.map((rule) => [
            rule.id,
            // Longer than one failed receive's wait, shorter than its five before parking.
            { queue: messaging.busTarget(rule.id).queue, maxAgeSeconds: 300 },
          ]),
        ),
      },
      backlogQueues: {
        OrderedDelivery: {
          queue: messaging.orderedDeliveryQueue,
          maxMessages: ORDERED_BACKLOG_ALARM_MESSAGES,
          why: "a FIFO queue looks for available message groups among its first 120,000 only, so a backlog that large (one ordered subscription failing behind a huge queue) holds back every other ordered subscription: disable that subscription (its deliveries are then dead-lettered without a request) or purge them",
        },
      },
      functions: {
        Trigger: functions.trigger,
        Api: functions.api,
        FanOut: functions.fanOut,
        Runner: functions.runner,
        Deliverer: functions.deliverer,
        DeadLetters: functions.deadLetters,
      },
      httpApi: api.httpApi,
      deliveryDeadLetterThreshold: settings.deliveryDeadLetterAlarm,
      email: settings.alarmEmail,
    });

    // Stateful resources keep their logical ids whatever the construct tree becomes, so a
    // refactor can never make CloudFormation replace (and empty) them.
    pin(storage.table, "Table");
    pin(messaging.bus, "EventBus");
    pin(messaging.deliveryQueue, "DeliveryQueue");
    pin(messaging.slowDeliveryQueue, "SlowDeliveryQueue");
    pin(messaging.deadLetterQueue, "DeadLetterQueue");
    pin(messaging.orderedDeliveryQueue, "OrderedDeliveryQueue");
    pin(messaging.orderedDeadLetterQueue, "OrderedDeadLetterQueue");
    pin(messaging.busDeadLetterQueue, "BusDeadLetterQueue");
    pin(storage.secretsKey, "SecretsKey");
    for (const rule of BUS_RULES) {
      pin(messaging.busTarget(rule.id).queue, `${rule.id}Queue`);
      pin(messaging.busTarget(rule.id).deadLetterQueue, `${rule.id}DeadLetterQueue`);
    }

    acknowledgeFindings({ functions, api, messaging });

    new CfnOutput(this, "ApiUrl", { value: api.stage.url, description: "Base URL of the API" });
    new CfnOutput(this, "TableName", { value: storage.table.tableName });
    new CfnOutput(this, "EventBusName", { value: messaging.bus.eventBusName });
    new CfnOutput(this, "DeliveryQueueUrl", { value: messaging.deliveryQueue.queueUrl });
    new CfnOutput(this, "SlowDeliveryQueueUrl", { value: messaging.slowDeliveryQueue.queueUrl });
    new CfnOutput(this, "DeadLetterQueueUrl", { value: messaging.deadLetterQueue.queueUrl });
    new CfnOutput(this, "OrderedDeliveryQueueUrl", {
      value: messaging.orderedDeliveryQueue.queueUrl,
    });
    new CfnOutput(this, "OrderedDeadLetterQueueUrl", {
      value: messaging.orderedDeadLetterQueue.queueUrl,
    });
    new CfnOutput(this, "BusDeadLetterQueueUrl", { value: messaging.busDeadLetterQueue.queueUrl });
    for (const rule of BUS_RULES) {
      new CfnOutput(this, `${rule.id}DeadLetterQueueUrl`, {
        value: messaging.busTarget(rule.id).deadLetterQueue.queueUrl,
      });
    }
    new CfnOutput(this, "AlarmTopicArn", { value: alarms.topic.topicArn });
  }
}

function pin(construct: IConstruct, logicalId: string): void {
  (construct.node.defaultChild as CfnResource).overrideLogicalId(logicalId);
}
