import type { Config } from "../../config.ts";
import type { Store } from "../../core/ports.ts";
import { createDynamoClient } from "../clients/dynamodb.ts";
import { createDynamoStore } from "../store/index.ts";

/**
 * The DynamoDB store of this deployment, made at start: every invocation of every function
 * reads it. (This folder holds one module per adapter, so a function's bundle carries only the
 * adapters it makes.)
 */
export function storeFor(config: Config): Store {
  return createDynamoStore({ doc: createDynamoClient(config.aws), tableName: config.tableName });
}
