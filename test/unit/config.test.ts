import { describe, expect, it } from "vitest";
import { environmentFor, loadConfig } from "../../functions/config.ts";

describe("loadConfig", () => {
  it("answers the cloud defaults from an empty environment", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      retry: { maxRetries: 3, baseSeconds: 30 },
      deliveryTimeoutMs: 10_000,
      allowPrivateUrls: false,
      requireHttps: true,
    });
    expect(config.aws.credentials).toBeUndefined(); // on Lambda, the function's role
    expect(config.secretsKeyId).toBeUndefined();
  });

  it("reads the KMS key of signing secrets from SWITCHYARD_SECRETS_KEY_ID", () => {
    const arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    expect(loadConfig({ SWITCHYARD_SECRETS_KEY_ID: arn }).secretsKeyId).toBe(arn);
    expect(loadConfig({ SWITCHYARD_SECRETS_KEY_ID: "" }).secretsKeyId).toBeUndefined();
  });

  it.each([
    "SWITCHYARD_AWS_ENDPOINT",
    "SWITCHYARD_DYNAMODB_ENDPOINT",
    "SWITCHYARD_SQS_ENDPOINT",
    "SWITCHYARD_EVENTBRIDGE_ENDPOINT",
  ])("uses static credentials whenever %s points a client at an emulator", (name) => {
    const config = loadConfig({ [name]: "http://127.0.0.1:9" });
    expect(config.aws.credentials).toEqual({ accessKeyId: "local", secretAccessKey: "local" });
  });

  it("reads back what environmentFor writes", () => {
    const settings = {
      tableName: "t",
      busName: "b",
      deliveryQueueUrl: "q",
      slowDeliveryQueueUrl: "s",
      deadLetterQueueUrl: "d",
      orderedDeliveryQueueUrl: "o.fifo",
      orderedDeadLetterQueueUrl: "od.fifo",
      maxRetries: 5,
      retryBaseSeconds: 0.5,
      retentionDays: 7,
      disableAfterHours: 48,
      deliveryTimeoutSeconds: 2,
      allowPrivateUrls: true,
      requireHttps: false,
      secretsKeyId: "alias/switchyard-secrets",
    };
    expect(loadConfig(environmentFor(settings))).toMatchObject({
      tableName: "t",
      busName: "b",
      deliveryQueueUrl: "q",
      slowDeliveryQueueUrl: "s",
      deadLetterQueueUrl: "d",
      orderedDeliveryQueueUrl: "o.fifo",
      orderedDeadLetterQueueUrl: "od.fifo",
      retry: { maxRetries: 5, baseSeconds: 0.5 },
      retentionDays: 7,
      disableAfterHours: 48,
      deliveryTimeoutMs: 2_000,
      allowPrivateUrls: true,
      requireHttps: false,
      secretsKeyId: "alias/switchyard-secrets",
    });
  });

  it.each([
    [
      { SWITCHYARD_MAX_RETRIES: "lots" },
      'SWITCHYARD_MAX_RETRIES must be a whole number from 0 to 20, not "lots"',
    ],
    [
      { SWITCHYARD_MAX_RETRIES: "1.5" },
      'SWITCHYARD_MAX_RETRIES must be a whole number from 0 to 20, not "1.5"',
    ],
    [
      { SWITCHYARD_RETRY_BASE_SECONDS: "-1" },
      'SWITCHYARD_RETRY_BASE_SECONDS must be a number from 0 to 3600, not "-1"',
    ],
    [
      { SWITCHYARD_DISABLE_AFTER_HOURS: "-1" },
      'SWITCHYARD_DISABLE_AFTER_HOURS must be a number from 0 to 8760, not "-1"',
    ],
    [
      { SWITCHYARD_RETENTION_DAYS: "0" },
      'SWITCHYARD_RETENTION_DAYS must be a number from 0.0001 to 3650, not "0"',
    ],
    [{ SWITCHYARD_ALLOW_PRIVATE_URLS: "maybe" }, "true or false"],
  ])("refuses %j", (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
