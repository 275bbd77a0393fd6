import type { Subscription } from "../../core/model.ts";
import type { SubscriptionStore } from "../../core/ports.ts";
import type { TableContext } from "./table-context.ts";
import { versionedRecords } from "./versioned-records.ts";

export function subscriptionStore(table: TableContext): SubscriptionStore {
  const records = versionedRecords<Subscription>(table, "subscription", "SUB#");
  return {
    createSubscription: records.create,
    replaceSubscription: records.replace,
    getSubscription: records.get,
    listSubscriptions: records.list,
    allSubscriptions: records.all,
    deleteSubscription: records.delete,
  };
}
