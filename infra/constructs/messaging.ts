import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { EventBus } from "aws-cdk-lib/aws-events";
import {
  DeduplicationScope,
  FifoThroughputLimit,
  Queue,
  QueueEncryption,
} from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { BUS_RULES } from "../../functions/core/bus-rules.ts";
import type { DeliveryQueueSettings } from "../../functions/core/delivery-settings.ts";

export interface MessagingProps {
  queueSettings: DeliveryQueueSettings;
}

/** A bus rule's target queue and the DLQ its redrive parks events in. */
export interface BusTarget {
  queue: Queue;
  deadLetterQueue: Queue;
}

/**
 * The event bus and the queues: one target queue per bus rule (each with its DLQ), the queue
 * where events land that EventBridge could not hand to a target queue, the delivery queue
 * and the slow lane's queue with their dead-letter queue, and the ordered lane's FIFO queue
 * with its FIFO dead-letter queue.
 */
export class Messaging extends Construct {
  readonly bus: EventBus;
  readonly deliveryQueue: Queue;
  /** The slow lane: deliveries of failing, paused or slow subscriptions, under their own cap. */
  readonly slowDeliveryQueue: Queue;
  readonly deadLetterQueue: Queue;
  /** The ordered lane (SPEC §3.1): one message group per ordered subscription. */
  readonly orderedDeliveryQueue: Queue;
  readonly orderedDeadLetterQueue: Queue;
  readonly busDeadLetterQueue: Queue;
  /** Per bus rule id. */
  readonly busTargets: ReadonlyMap<string, BusTarget>;

  constructor(scope: Construct, id: string, props: MessagingProps) {
    super(scope, id);
    const { queueSettings } = props;
    const retentionPeriod = Duration.seconds(queueSettings.deadLetterRetentionSeconds);
    const queue = (queueId: string, extra: ConstructorParameters<typeof Queue>[2] = {}) =>
      new Queue(this, queueId, {
        enforceSSL: true,
        // SQS-managed keys: EventBridge may send to the queue without a key policy of ours.
        encryption: QueueEncryption.SQS_MANAGED,
        removalPolicy: RemovalPolicy.RETAIN,
        retentionPeriod,
        ...extra,
      });

    this.bus = new EventBus(this, "Bus", { description: "Switchyard app and platform events" });
    this.busDeadLetterQueue = queue("BusDeadLetterQueue");
    const busTargets = new Map<string, BusTarget>();
    for (const rule of BUS_RULES) {
      const deadLetterQueue = queue(`${rule.id}DeadLetterQueue`);
      const target = queue(`${rule.id}Queue`, {
        visibilityTimeout: Duration.seconds(rule.queue.visibilityTimeoutSeconds),
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: rule.queue.maxReceiveCount },
      });
      busTargets.set(rule.id, { queue: target, deadLetterQueue });
    }
    this.busTargets = busTargets;

    // A delivery lane and its dead-letter queue: visibility as an SQS event source needs, and
    // the redrive backstop for messages that crash the deliverer.
    const laneDeadLetterQueue = (
      queueId: string,
      extra: ConstructorParameters<typeof Queue>[2] = {},
    ) =>
      queue(queueId, {
        ...extra,
        visibilityTimeout: Duration.seconds(queueSettings.deadLetterVisibilityTimeoutSeconds),
      });
    const deliveryLane = (
      queueId: string,
      deadLetters: Queue,
      extra: ConstructorParameters<typeof Queue>[2] = {},
    ) =>
      queue(queueId, {
        ...extra,
        visibilityTimeout: Duration.seconds(queueSettings.visibilityTimeoutSeconds),
        deadLetterQueue: {
          queue: deadLetters,
          maxReceiveCount: queueSettings.backstopMaxReceiveCount,
        },
      });
    // Consumed by the dead-letter recorder, so it hides a message as any consumed queue does.
    this.deadLetterQueue = laneDeadLetterQueue("DeadLetterQueue");
    this.deliveryQueue = deliveryLane("DeliveryQueue", this.deadLetterQueue);
    this.slowDeliveryQueue = deliveryLane("SlowDeliveryQueue", this.deadLetterQueue);

    // High-throughput FIFO: its limits apply per message group (per subscription), not to the
    // queue, so many ordered subscriptions do not share one queue's 300 sends a second. A FIFO
    // queue's redrive can only go to a FIFO queue: the lane has a FIFO DLQ of its own.
    const fifo = {
      fifo: true,
      deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
    };
    this.orderedDeadLetterQueue = laneDeadLetterQueue("OrderedDeadLetterQueue", fifo);
    this.orderedDeliveryQueue = deliveryLane(
      "OrderedDeliveryQueue",
      this.orderedDeadLetterQueue,
      fifo,
    );
  }

  /** The bus rule's target, which every rule has. */
  busTarget(ruleId: string): BusTarget {
    const target = this.busTargets.get(ruleId);
    if (!target) throw new Error(`no target queue for bus rule ${ruleId}`);
    return target;
  }
}
