import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { AwsSettings } from "../../config.ts";
import { clientOptions } from "./options.ts";

/** The DynamoDB document client: undefined attributes are left out of what it writes. */
export function createDynamoClient(settings: AwsSettings): DynamoDBDocumentClient {
  const client = new DynamoDBClient(clientOptions(settings, "dynamodb"));
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
