/**
 * How events travel on the bus. The CDK stack and the local bus build their rules from these
 * patterns and settings, so both route alike.
 *
 * Every rule targets an SQS queue, never a function: EventBridge invokes Lambda
 * asynchronously, and an error inside an asynchronously invoked function gets two retries and
 * is then dropped. A queue keeps each event until its consumer has processed it, or parks it
 * in the queue's dead-letter queue after `maxReceiveCount` failed receives.
 */
export const EVENT_SOURCE = {
  app: "switchyard.app",
  platform: "switchyard.platform",
} as const;

/** The functions that consume bus rules' queues, and their timeouts. */
export const BUS_CONSUMERS = {
  fanout: { timeoutSeconds: 30 },
  runner: { timeoutSeconds: 30 },
} as const;

/** How a rule's queue is set up, in the cloud and locally. */
export interface BusTargetQueue {
  /** Six times its consumer's timeout, as AWS advises for an SQS event source. */
  visibilityTimeoutSeconds: number;
  /**
   * Failed receives before SQS parks the event in the queue's DLQ: five, the least AWS advises
   * for a Lambda event source, about 15 minutes of retries at 6 × 30 s apart.
   */
  maxReceiveCount: number;
  /** Records per invocation. */
  batchSize: number;
}

export interface BusRule {
  /** Stable id: the CDK construct id and the local bus's name for the rule and its queue. */
  id: string;
  description: string;
  /** An EventBridge event pattern over the whole envelope. */
  pattern: { source: string[]; detail?: Record<string, unknown> };
  /** The function that consumes the rule's queue. */
  consumer: keyof typeof BUS_CONSUMERS;
  queue: BusTargetQueue;
}

/**
 * App events and platform events both reach the fan-out, which finds the subscriptions; app
 * events alone reach the workflow runner, so no workflow's outcome can run another, and not
 * those replayed to one subscription.
 */
export const BUS_RULES: readonly BusRule[] = [
  {
    id: "FanOut",
    description: "App and platform events to the webhook fan-out's queue",
    pattern: { source: [EVENT_SOURCE.app, EVENT_SOURCE.platform] },
    consumer: "fanout",
    queue: {
      visibilityTimeoutSeconds: 6 * BUS_CONSUMERS.fanout.timeoutSeconds,
      maxReceiveCount: 5,
      batchSize: 10,
    },
  },
  {
    id: "Workflows",
    description: "App events to the workflow runner's queue",
    pattern: { source: [EVENT_SOURCE.app], detail: { replay_to: [{ exists: false }] } },
    consumer: "runner",
    queue: {
      visibilityTimeoutSeconds: 6 * BUS_CONSUMERS.runner.timeoutSeconds,
      maxReceiveCount: 5,
      batchSize: 10,
    },
  },
];
