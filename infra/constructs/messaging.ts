import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { EventBus } from "aws-cdk-lib/aws-events";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { DeliveryQueueSettings } from "../../functions/core/delivery-settings.ts";

export interface MessagingProps {
  queueSettings: DeliveryQueueSettings;
}

/**
 * The event bus and the queues: the delivery queue with its dead-letter queue, and the queue
 * where events land that the bus could not hand to a target.
 */
export class Messaging extends Construct {
  readonly bus: EventBus;
  readonly deliveryQueue: Queue;
  readonly deadLetterQueue: Queue;
  readonly busDeadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: MessagingProps) {
    super(scope, id);
    const { queueSettings } = props;
    const retention = Duration.seconds(queueSettings.deadLetterRetentionSeconds);
    const common = {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    };
    this.bus = new EventBus(this, "Bus", { description: "Switchyard app and platform events" });
    this.deadLetterQueue = new Queue(this, "DeadLetterQueue", {
      ...common,
      retentionPeriod: retention,
    });
    this.deliveryQueue = new Queue(this, "DeliveryQueue", {
      ...common,
      visibilityTimeout: Duration.seconds(queueSettings.visibilityTimeoutSeconds),
      retentionPeriod: retention,
      deadLetterQueue: {
        queue: this.deadLetterQueue,
        maxReceiveCount: queueSettings.backstopMaxReceiveCount,
      },
    });
    this.busDeadLetterQueue = new Queue(this, "BusDeadLetterQueue", {
      ...common,
      retentionPeriod: retention,
    });
  }
}
