import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { KMSClient } from "@aws-sdk/client-kms";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { AwsSettings } from "../config.ts";

/**
 * The one place AWS SDK clients are made. Endpoints and static credentials come from the
 * settings, so the local runtime points the same clients at its emulators. One maker per
 * service, so a function's bundle carries only the SDKs it uses.
 */
function common(settings: AwsSettings) {
  return {
    region: settings.region,
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
  };
}

export function createDynamoClient(settings: AwsSettings): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ ...common(settings), endpoint: settings.endpoints.dynamodb });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function createSqsClient(settings: AwsSettings): SQSClient {
  return new SQSClient({ ...common(settings), endpoint: settings.endpoints.sqs });
}

export function createEventBridgeClient(settings: AwsSettings): EventBridgeClient {
  return new EventBridgeClient({ ...common(settings), endpoint: settings.endpoints.eventbridge });
}

export function createKmsClient(settings: AwsSettings): KMSClient {
  return new KMSClient({ ...common(settings), endpoint: settings.endpoints.kms });
}
