import type { Node } from "constructs";
import { DEFAULT_DISABLE_AFTER_HOURS, DEFAULT_RETENTION_DAYS } from "../functions/config.ts";
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_DELIVERY_SETTINGS,
} from "../functions/core/delivery-settings.ts";

/** What a deployment can choose, as CDK context values (`cdk.json`, or `-c key=value`). */
export interface StackSettings {
  retries: number;
  retryBaseSeconds: number;
  /** Days events, deliveries and attempts are kept before DynamoDB's TTL removes them. */
  retentionDays: number;
  /** Hours of failing without a success that disable a subscription at its next dead letter; 0 never. */
  disableAfterHours: number;
  deliveryTimeoutSeconds: number;
  allowPrivateUrls: boolean;
  requireHttps: boolean;
  /**
   * Steady-state requests a second and burst for the whole API. Defaults to API Gateway's own
   * account limits: Switchyard adds no limit of its own unless a deployment sets one.
   */
  apiRateLimit: number;
  apiBurstLimit: number;
  /** Most fan-out invocations at once (the event source mapping's MaximumConcurrency). */
  fanOutConcurrency: number;
  /** Most deliverer invocations at once: a backlog never takes the account's whole concurrency. */
  deliveryConcurrency: number;
  /**
   * Most deliverer invocations at once on the slow lane (failing, paused or slow
   * subscriptions), on top of `deliveryConcurrency`: all that such receivers can ever hold.
   */
  slowDeliveryConcurrency: number;
  /**
   * Most deliverer invocations at once on the ordered lane (ordered subscriptions, one
   * delivery in flight each), on top of the other two lanes'.
   */
  orderedDeliveryConcurrency: number;
  /** Concurrency reserved for the trigger; 0 reserves none (the account's pool is shared). */
  triggerReservedConcurrency: number;
  /** Delivery dead letters per 5 minutes that page the operator; 0 never does (the default). */
  deliveryDeadLetterAlarm: number;
  /** An address the alarm topic mails; none when empty. */
  alarmEmail: string;
}

export const DEFAULT_STACK_SETTINGS: StackSettings = {
  retries: DEFAULT_DELIVERY_SETTINGS.maxRetries,
  retryBaseSeconds: DEFAULT_DELIVERY_SETTINGS.retryBaseSeconds,
  retentionDays: DEFAULT_RETENTION_DAYS,
  disableAfterHours: DEFAULT_DISABLE_AFTER_HOURS,
  deliveryTimeoutSeconds: DEFAULT_DELIVERY_SETTINGS.deliveryTimeoutSeconds,
  allowPrivateUrls: false,
  requireHttps: true,
  apiRateLimit: 10_000,
  apiBurstLimit: 5_000,
  fanOutConcurrency: DEFAULT_CONCURRENCY.fanOut,
  deliveryConcurrency: DEFAULT_CONCURRENCY.delivery,
  slowDeliveryConcurrency: DEFAULT_CONCURRENCY.slowDelivery,
  orderedDeliveryConcurrency: DEFAULT_CONCURRENCY.orderedDelivery,
  triggerReservedConcurrency: 0,
  deliveryDeadLetterAlarm: 0,
  alarmEmail: "",
};

type Bounds = Record<keyof StackSettings, [number, number] | "boolean" | "email">;
const BOUNDS: Bounds = {
  retries: [0, 20],
  retryBaseSeconds: [1, 3600],
  retentionDays: [1, 3650],
  disableAfterHours: [0, 24 * 365],
  deliveryTimeoutSeconds: [1, 300],
  allowPrivateUrls: "boolean",
  requireHttps: "boolean",
  apiRateLimit: [1, 1_000_000],
  apiBurstLimit: [1, 1_000_000],
  // Lambda's MaximumConcurrency takes 2 to 1,000.
  fanOutConcurrency: [2, 1000],
  deliveryConcurrency: [2, 1000],
  slowDeliveryConcurrency: [2, 1000],
  orderedDeliveryConcurrency: [2, 1000],
  triggerReservedConcurrency: [0, 10_000],
  deliveryDeadLetterAlarm: [0, 1_000_000],
  alarmEmail: "email",
};

const WHOLE_NUMBERS = new Set<keyof StackSettings>([
  "retries",
  "retentionDays",
  "fanOutConcurrency",
  "deliveryConcurrency",
  "slowDeliveryConcurrency",
  "orderedDeliveryConcurrency",
  "triggerReservedConcurrency",
  "deliveryDeadLetterAlarm",
]);

/**
 * Reads the settings from context. `-c` values arrive as strings and `cdk.json` values as JSON,
 * so both are accepted; anything out of range stops the synth with a message naming it.
 */
export function settingsFromContext(node: Node): StackSettings {
  const settings = { ...DEFAULT_STACK_SETTINGS };
  for (const key of Object.keys(BOUNDS) as (keyof StackSettings)[]) {
    const raw: unknown = node.tryGetContext(key);
    if (raw === undefined) continue;
    const bounds = BOUNDS[key];
    if (bounds === "email") {
      if (typeof raw !== "string" || (raw !== "" && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(raw))) {
        throw new Error(`context ${key} must be an email address, not ${JSON.stringify(raw)}`);
      }
      (settings[key] as string) = raw;
      continue;
    }
    if (bounds === "boolean") {
      if (raw !== true && raw !== false && raw !== "true" && raw !== "false") {
        throw new Error(`context ${key} must be true or false, not ${JSON.stringify(raw)}`);
      }
      (settings[key] as boolean) = raw === true || raw === "true";
      continue;
    }
    const value = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
    if (
      typeof value !== "number" ||
      !Number.isFinite(value) ||
      value < bounds[0] ||
      value > bounds[1]
    ) {
      throw new Error(
        `context ${key} must be a number from ${bounds[0]} to ${bounds[1]}, not ${JSON.stringify(raw)}`,
      );
    }
    if (WHOLE_NUMBERS.has(key) && !Number.isInteger(value))
      throw new Error(`context ${key} must be a whole number`);
    (settings[key] as number) = value;
  }
  return settings;
}
