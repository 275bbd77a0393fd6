/**
 * The least a Switchyard function can import: the DynamoDB document client every function
 * makes, and one read. `npm run bundle-sizes` bundles it as it bundles the functions and times
 * its import beside theirs, so the cold-start budget can be read against what the AWS SDK
 * alone costs on the same machine in the same minutes.
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { createDynamoClient } from "../../functions/adapters/clients/dynamodb.ts";

const dynamo = createDynamoClient({ region: process.env.AWS_REGION ?? "us-east-1", endpoints: {} });

export const handler = async (event: { table: string; key: string }) =>
  dynamo.send(new GetCommand({ TableName: event.table, Key: { PK: event.key, SK: event.key } }));
