import type { Subscription } from "../../core/model.ts";
import type { SubscriptionStore } from "../../core/ports.ts";
import { queryPage } from "./pagination.ts";
import {
  appPartition,
  deleteRecord,
  getRecord,
  putIf,
  queryAll,
  type TableContext,
} from "./table-context.ts";

export function subscriptionStore(table: TableContext): SubscriptionStore {
  const item = (appId: string, subscription: Subscription) => ({
    PK: appPartition(appId),
    SK: `SUB#${subscription.id}`,
    kind: "subscription",
    ...subscription,
  });

  return {
    async createSubscription(appId, subscription) {
      await putIf(table, item(appId, { ...subscription, version: 1 }), "attribute_not_exists(PK)");
    },

    // Conditional on the version it was read at, so a write that landed in between is never
    // overwritten by a change computed from what it replaced.
    replaceSubscription(appId, subscription) {
      const readAt = subscription.version ?? 0;
      return putIf(
        table,
        item(appId, { ...subscription, version: readAt + 1 }),
        readAt === 0
          ? "attribute_exists(PK) AND (attribute_not_exists(#version) OR #version = :readAt)"
          : "#version = :readAt",
        { ":readAt": readAt },
        { "#version": "version" },
      );
    },

    getSubscription: (appId, id) => getRecord<Subscription>(table, appId, `SUB#${id}`),

    listSubscriptions: (appId, page) =>
      queryPage<Subscription>(
        table,
        {
          partitionAttribute: "PK",
          partitionValue: appPartition(appId),
          sortAttribute: "SK",
          sortPrefix: "SUB#",
        },
        page,
      ),

    allSubscriptions: (appId) => queryAll<Subscription>(table, appId, "SUB#"),

    deleteSubscription: (appId, id) => deleteRecord(table, appId, `SUB#${id}`),
  };
}
