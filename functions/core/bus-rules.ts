/**
 * How events travel on the bus. The CDK stack and the local bus build their rules from these
 * patterns, so both route exactly alike.
 */
export const EVENT_SOURCE = {
  app: "switchyard.app",
  platform: "switchyard.platform",
} as const;

export interface BusRule {
  /** Stable id: the CDK construct id and the local bus's name for the rule. */
  id: string;
  description: string;
  /** An EventBridge event pattern over the whole envelope. */
  pattern: { source: string[] };
  /** Which function the rule invokes. */
  target: "fanout";
}

/** App events and platform events both reach the fan-out, which finds the subscriptions. */
export const BUS_RULES: readonly BusRule[] = [
  {
    id: "FanOut",
    description: "App and platform events to the webhook fan-out",
    pattern: { source: [EVENT_SOURCE.app, EVENT_SOURCE.platform] },
    target: "fanout",
  },
];
