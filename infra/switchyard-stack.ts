import { CfnOutput, type CfnResource, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct, IConstruct } from "constructs";
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
      deadLetterQueue: messaging.deadLetterQueue,
      busDeadLetterQueue: messaging.busDeadLetterQueue,
    });

    // Stateful resources keep their logical ids whatever the construct tree becomes, so a
    // refactor can never make CloudFormation replace (and empty) them.
    pin(storage.table, "Table");
    pin(messaging.bus, "EventBus");
    pin(messaging.deliveryQueue, "DeliveryQueue");
    pin(messaging.deadLetterQueue, "DeadLetterQueue");
    pin(messaging.busDeadLetterQueue, "BusDeadLetterQueue");

    acknowledgeFindings({ functions, api, messaging });

    new CfnOutput(this, "ApiUrl", { value: api.stage.url, description: "Base URL of the API" });
    new CfnOutput(this, "TableName", { value: storage.table.tableName });
    new CfnOutput(this, "EventBusName", { value: messaging.bus.eventBusName });
    new CfnOutput(this, "DeliveryQueueUrl", { value: messaging.deliveryQueue.queueUrl });
    new CfnOutput(this, "DeadLetterQueueUrl", { value: messaging.deadLetterQueue.queueUrl });
    new CfnOutput(this, "BusDeadLetterQueueUrl", { value: messaging.busDeadLetterQueue.queueUrl });
    new CfnOutput(this, "AlarmTopicArn", { value: alarms.topic.topicArn });
  }
}

function pin(construct: IConstruct, logicalId: string): void {
  (construct.node.defaultChild as CfnResource).overrideLogicalId(logicalId);
}
