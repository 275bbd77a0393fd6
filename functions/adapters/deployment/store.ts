import type { Config } from "../../config.ts";
import type { Store } from "../../core/ports.ts";
import { createDynamoClient } from "../clients/dynamodb.ts";
import { createDynamoStore } from "../store/index.ts";

/**
 * The DynamoDB store of this deployment, made at start: every invocation of every function
 * reads it. This folder holds one module per adapter and way of making it, so a function's
 * bundle carries only the adapters it makes: a function makes at start what each invocation
 * uses (the trigger its bus, the fan-out its queue) and at first use what only some do.
 */
export function storeFor(config: Config): Store {
  return createDynamoStore({
    doc: createDynamoClient(config.aws),
    tableName: config.tableName,
    retentionDays: config.retentionDays,
  });
}
