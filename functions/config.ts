import type { RetryPolicy } from "./core/retry-policy.ts";

/** SPEC §2.5: per-event items are kept 30 days unless a deployment says otherwise. */
export const DEFAULT_RETENTION_DAYS = 30;

/**
 * SPEC §3.1: a subscription failing without a success for this long is disabled at its next
 * dead letter, unless a deployment says otherwise (0: never).
 */
export const DEFAULT_DISABLE_AFTER_HOURS = 120;

/** The deployment's name in workflow platform events (Cobalt's `environment`) unless set. */
export const DEFAULT_ENVIRONMENT = "production";

/** Where the AWS SDK clients point; endpoints are set only for emulators. */
export interface AwsSettings {
  region: string;
  endpoints: { dynamodb?: string; sqs?: string; eventbridge?: string; kms?: string };
  /** Static credentials for emulators; undefined in AWS, where the Lambda role's are used. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /**
   * More SDK client options per service; undefined in AWS. The local runtime's carry requests
   * to its emulators without a socket.
   */
  clientOverrides?: { [service in keyof AwsSettings["endpoints"]]?: object };
}

/** Everything the functions read from their environment, read once. */
export interface Config {
  tableName: string;
  busName: string;
  deliveryQueueUrl: string;
  /** The slow lane's queue (SPEC §3, pausing). */
  slowDeliveryQueueUrl: string;
  deadLetterQueueUrl: string;
  /** The ordered lane's FIFO queue and its FIFO dead-letter queue (SPEC §3.1). */
  orderedDeliveryQueueUrl: string;
  orderedDeadLetterQueueUrl: string;
  retry: RetryPolicy;
  /** Days events, deliveries and their attempts are kept (SPEC §2.5, retention). */
  retentionDays: number;
  /** Hours of failing without a success that disable a subscription at its next dead letter; 0 never. */
  disableAfterHours: number;
  deliveryTimeoutMs: number;
  allowPrivateUrls: boolean;
  requireHttps: boolean;
  /** The KMS key that wraps the data keys of signing secrets; unset outside the cloud. */
  secretsKeyId: string | undefined;
  /** The deployment's name in workflow platform events (Cobalt's `environment`). */
  environment: string;
  aws: AwsSettings;
}

type Env = Record<string, string | undefined>;

/** The deployment settings a function reads, as the environment carries them. */
export interface DeploymentEnvironment {
  tableName: string;
  busName: string;
  deliveryQueueUrl: string;
  slowDeliveryQueueUrl: string;
  deadLetterQueueUrl: string;
  orderedDeliveryQueueUrl: string;
  orderedDeadLetterQueueUrl: string;
  maxRetries: number;
  retryBaseSeconds: number;
  retentionDays: number;
  disableAfterHours: number;
  deliveryTimeoutSeconds: number;
  allowPrivateUrls: boolean;
  requireHttps: boolean;
  /** The stack's KMS key for signing secrets (id, ARN or alias); only the API and deliverer use it. */
  secretsKeyId: string;
}

/** The environment variables that give a function these settings: what `loadConfig` reads. */
export function environmentFor(settings: DeploymentEnvironment): Record<string, string> {
  return {
    SWITCHYARD_TABLE_NAME: settings.tableName,
    SWITCHYARD_BUS_NAME: settings.busName,
    SWITCHYARD_DELIVERY_QUEUE_URL: settings.deliveryQueueUrl,
    SWITCHYARD_SLOW_DELIVERY_QUEUE_URL: settings.slowDeliveryQueueUrl,
    SWITCHYARD_DLQ_URL: settings.deadLetterQueueUrl,
    SWITCHYARD_ORDERED_DELIVERY_QUEUE_URL: settings.orderedDeliveryQueueUrl,
    SWITCHYARD_ORDERED_DLQ_URL: settings.orderedDeadLetterQueueUrl,
    SWITCHYARD_MAX_RETRIES: String(settings.maxRetries),
    SWITCHYARD_RETRY_BASE_SECONDS: String(settings.retryBaseSeconds),
    SWITCHYARD_RETENTION_DAYS: String(settings.retentionDays),
    SWITCHYARD_DISABLE_AFTER_HOURS: String(settings.disableAfterHours),
    SWITCHYARD_DELIVERY_TIMEOUT_SECONDS: String(settings.deliveryTimeoutSeconds),
    SWITCHYARD_ALLOW_PRIVATE_URLS: String(settings.allowPrivateUrls),
    SWITCHYARD_REQUIRE_HTTPS: String(settings.requireHttps),
    SWITCHYARD_SECRETS_KEY_ID: settings.secretsKeyId,
  };
}

/** Reads the configuration from `env`; the only reader of `process.env` in functions/. */
export function loadConfig(env: Env = process.env): Config {
  const endpoint = env.SWITCHYARD_AWS_ENDPOINT;
  return {
    tableName: env.SWITCHYARD_TABLE_NAME ?? "switchyard",
    busName: env.SWITCHYARD_BUS_NAME ?? "switchyard",
    deliveryQueueUrl: env.SWITCHYARD_DELIVERY_QUEUE_URL ?? "",
    slowDeliveryQueueUrl: env.SWITCHYARD_SLOW_DELIVERY_QUEUE_URL ?? "",
    deadLetterQueueUrl: env.SWITCHYARD_DLQ_URL ?? "",
    orderedDeliveryQueueUrl: env.SWITCHYARD_ORDERED_DELIVERY_QUEUE_URL ?? "",
    orderedDeadLetterQueueUrl: env.SWITCHYARD_ORDERED_DLQ_URL ?? "",
    retry: {
      maxRetries: integer(env, "SWITCHYARD_MAX_RETRIES", 3, 0, 20),
      baseSeconds: number(env, "SWITCHYARD_RETRY_BASE_SECONDS", 30, 0, 3600),
    },
    // A fraction of a day is allowed, so a trial run can watch items expire.
    retentionDays: number(env, "SWITCHYARD_RETENTION_DAYS", DEFAULT_RETENTION_DAYS, 0.0001, 3650),
    // Fractions too, so a trial run can watch a subscription be disabled.
    disableAfterHours: number(
      env,
      "SWITCHYARD_DISABLE_AFTER_HOURS",
      DEFAULT_DISABLE_AFTER_HOURS,
      0,
      24 * 365,
    ),
    deliveryTimeoutMs: number(env, "SWITCHYARD_DELIVERY_TIMEOUT_SECONDS", 10, 0.1, 900) * 1000,
    allowPrivateUrls: flag(env, "SWITCHYARD_ALLOW_PRIVATE_URLS", false),
    requireHttps: flag(env, "SWITCHYARD_REQUIRE_HTTPS", true),
    secretsKeyId: env.SWITCHYARD_SECRETS_KEY_ID || undefined,
    environment: env.SWITCHYARD_ENVIRONMENT || DEFAULT_ENVIRONMENT,
    aws: {
      region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
      endpoints: {
        dynamodb: env.SWITCHYARD_DYNAMODB_ENDPOINT ?? endpoint,
        sqs: env.SWITCHYARD_SQS_ENDPOINT ?? endpoint,
        eventbridge: env.SWITCHYARD_EVENTBRIDGE_ENDPOINT ?? endpoint,
        kms: endpoint,
      },
      // Any emulator endpoint means static credentials: the SDK must never go looking for
      // real ones (its default chain probes the instance-metadata address).
      ...(endpoint ||
      env.SWITCHYARD_DYNAMODB_ENDPOINT ||
      env.SWITCHYARD_SQS_ENDPOINT ||
      env.SWITCHYARD_EVENTBRIDGE_ENDPOINT
        ? {
            credentials: {
              accessKeyId: env.AWS_ACCESS_KEY_ID ?? "local",
              secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "local",
            },
          }
        : {}),
    },
  };
}

function number(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name} must be a number from ${min} to ${max}, not "${raw}"`);
  }
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, not "${raw}"`);
  }
  return value;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (["1", "true", "yes"].includes(raw)) return true;
  if (["0", "false", "no"].includes(raw)) return false;
  throw new Error(`${name} must be true or false, not "${raw}"`);
}

let cached: Config | undefined;

/** The process's configuration, read on first use. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}
