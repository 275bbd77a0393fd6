import type { Store } from "../../core/ports.ts";
import { appStore } from "./apps.ts";
import { definitionStore } from "./definitions.ts";
import { deliveryStore } from "./deliveries.ts";
import { eventStore } from "./events.ts";
import { idempotencyStore } from "./idempotency.ts";
import { subscriptionHealthStore } from "./subscription-health.ts";
import { subscriptionStore } from "./subscriptions.ts";
import type { TableContext } from "./table-context.ts";
import { workflowStore } from "./workflows.ts";

/** The DynamoDB single-table store. */
export function createDynamoStore(table: TableContext): Store {
  return {
    ...appStore(table),
    ...definitionStore(table),
    ...subscriptionStore(table),
    ...subscriptionHealthStore(table),
    ...workflowStore(table),
    ...eventStore(table),
    ...idempotencyStore(table),
    ...deliveryStore(table),
  };
}
