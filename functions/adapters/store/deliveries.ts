import { DeleteCommand, GetCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Attempt, Delivery } from "../../core/model.ts";
import type { DeliveryStore } from "../../core/ports.ts";
import type { DeliveryStatus } from "../../core/schemas.ts";
import { batchGet } from "./batch-get.ts";
import { oldestDeadLetters } from "./dead-letter-selection.ts";
import { attemptsOf, deliveryOf } from "./delivery-items.ts";
import { listDeliveries } from "./delivery-lists.ts";
import { deliveryKey, LIST_PREFIX, shardPartition, statusPartition } from "./event-keys.ts";
import {
  expiresAt,
  isConditionFailure,
  isLive,
  putIf,
  type TableContext,
  withoutKeys,
} from "./table-context.ts";

/**
 * Attempts kept in the delivery item itself: the first attempt and the three retries of the
 * default policy, so a delivery that succeeds or fails by the defaults is one item.
 */
const FOLDED_ATTEMPTS = 4;

const attemptKey = (deliveryId: string, attempt: number) => ({
  PK: deliveryKey(deliveryId).PK,
  SK: `${deliveryKey(deliveryId).SK}#ATT#${String(attempt).padStart(6, "0")}`,
});

/**
 * A delivery is one item in its event's partition: what it sends, where, its status and its
 * first attempts (SPEC §2.5). Its entries in the app-wide and per-target lists are keyed by what
 * never changes and project keys only, so recording an attempt rewrites the item alone; the
 * status index holds only failed, dead-lettered and discarded deliveries.
 */
export function deliveryStore(table: TableContext): DeliveryStore {
  const update = async (
    appId: string,
    id: string,
    status: DeliveryStatus,
    at: string,
    change: {
      set: string[];
      remove: string[];
      values: Record<string, unknown>;
      names?: Record<string, string>;
      /** Conditions that must all hold, besides the app's; put a group in parentheses first. */
      conditions: string[];
    },
  ): Promise<boolean> => {
    const set = ["#status = :status", "updated_at = :at", ...change.set];
    const remove = [...change.remove];
    const values: Record<string, unknown> = {
      ":status": status,
      ":at": at,
      ":app": appId,
      ...change.values,
    };
    const byStatus = statusPartition(appId, status, id);
    if (byStatus) {
      set.push("by_status = :statusKey");
      values[":statusKey"] = byStatus;
    } else {
      remove.push("by_status");
    }
    try {
      await table.doc.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: deliveryKey(id),
          UpdateExpression: `SET ${set.join(", ")} REMOVE ${remove.join(", ")}`,
          // One flat AND, any group first: the local emulator's parser takes several times as
          // long for a group nested in a group, or one after other terms.
          ConditionExpression: [...change.conditions, "app_id = :app"].join(" AND "),
          ExpressionAttributeNames: { "#status": "status", ...change.names },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  };

  const read = async (appId: string, id: string) => {
    if (!id.startsWith("msg_")) return null;
    const { Item } = await table.doc.send(
      new GetCommand({ TableName: table.tableName, Key: deliveryKey(id) }),
    );
    return Item && Item.app_id === appId && isLive(table, Item) ? Item : null;
  };

  return {
    async createDelivery({ last_attempt: _, ...delivery }) {
      const item: Record<string, unknown> = {
        ...deliveryKey(delivery.id),
        kind: "delivery",
        ...delivery,
        by_app: shardPartition(LIST_PREFIX.all(delivery.app_id), delivery.id),
        by_target: shardPartition(
          LIST_PREFIX.target(delivery.app_id, delivery.target.id),
          delivery.id,
        ),
        by_status: statusPartition(delivery.app_id, delivery.status, delivery.id),
        expires_at: expiresAt(table),
      };
      return putIf(table, item, "attribute_not_exists(PK)");
    },

    async withdrawDelivery(appId, id) {
      try {
        await table.doc.send(
          new DeleteCommand({
            TableName: table.tableName,
            Key: deliveryKey(id),
            ConditionExpression: "app_id = :app AND #status = :pending AND attempt_count = :none",
            ExpressionAttributeNames: { "#status": "status" },
            ExpressionAttributeValues: { ":app": appId, ":pending": "pending", ":none": 0 },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },

    async getDelivery(appId, id) {
      const item = await read(appId, id);
      return item ? deliveryOf(item) : null;
    },

    async getDeliveryDetail(appId, id) {
      const item = await read(appId, id);
      return item ? { delivery: deliveryOf(item), attempts: await allAttempts(item) } : null;
    },

    async getDeliveries(keys) {
      const wanted = new Map(keys.map(({ appId, id }) => [id, appId]));
      // A delivery left unread is not in the answer: the deliverer reads it alone in its turn.
      const { items } = await batchGet(
        table,
        [...wanted.keys()].filter((id) => id.startsWith("msg_")).map(deliveryKey),
      );
      const found = new Map<string, Delivery>();
      for (const item of items) {
        if (item.app_id !== wanted.get(String(item.id)) || !isLive(table, item)) continue;
        found.set(String(item.id), deliveryOf(item));
      }
      return found;
    },

    async listAttempts(appId, id) {
      const item = await read(appId, id);
      return item ? allAttempts(item) : [];
    },

    async recordAttempt(appId, id, change) {
      const { attempt, status, expectedAttemptCount, messageId, url, nextAttemptAt } = change;
      // One conditional update claims the attempt number and records the attempt, so no
      // number is used twice. The first attempts are appended to the delivery itself, whole
      // or not at all; a later one (retries beyond the default, manual retries) is kept as the
      // delivery's `last_attempt` and then written to an item of its own, so no delivery
      // outgrows DynamoDB's 400 KB item limit: a crash between the two leaves it in
      // `last_attempt`. An attempt clears any reason a previous round ended with.
      const folded = attempt.attempt <= FOLDED_ATTEMPTS;
      const set = [
        "attempt_count = :count",
        "owner_message_id = :owner",
        folded
          ? "attempts = list_append(if_not_exists(attempts, :none), :attempt)"
          : "last_attempt = :attempt",
      ];
      const values: Record<string, unknown> = {
        ":count": attempt.attempt,
        ":attempt": folded ? [attempt] : attempt,
        ":expected": expectedAttemptCount,
        ":owner": messageId,
      };
      if (folded) values[":none"] = [];
      const names: Record<string, string> = {};
      const remove = ["status_reason"];
      let owners = "attribute_not_exists(owner_message_id) OR owner_message_id = :owner";
      if (change.takesOverFrom !== undefined) {
        owners += " OR owner_message_id = :from";
        values[":from"] = change.takesOverFrom;
      }
      if (url !== undefined) {
        set.push("#url = :url");
        values[":url"] = url;
        names["#url"] = "url";
      }
      if (nextAttemptAt) {
        set.push("next_attempt_at = :next");
        values[":next"] = nextAttemptAt;
      } else {
        remove.push("next_attempt_at");
      }
      const recorded = await update(appId, id, status, attempt.at, {
        set,
        remove,
        values,
        names,
        conditions: [`(${owners})`, "attempt_count = :expected"],
      });
      if (recorded && !folded) {
        await putIf(
          table,
          {
            ...attemptKey(id, attempt.attempt),
            kind: "attempt",
            ...attempt,
            expires_at: expiresAt(table),
          },
          "attribute_not_exists(PK)",
        );
      }
      return recorded;
    },

    oldestDeadLetters: (appId, selection, limit, after) =>
      oldestDeadLetters(table, appId, selection, limit, after),

    reopenDelivery(appId, id, from, carrier, at) {
      return update(appId, id, "pending", at, {
        set: ["round_started_at_attempt = :count", "owner_message_id = :carrier"],
        remove: ["status_reason", "next_attempt_at"],
        values: { ":from": from.status, ":count": from.attemptCount, ":carrier": carrier },
        conditions: ["#status = :from", "attempt_count = :count"],
      });
    },

    async keepSendSlot(appId, id, slotMs, keptMs, expectedAttemptCount) {
      // Its status, indexes and times are untouched: only the slot is kept.
      try {
        await table.doc.send(
          new UpdateCommand({
            TableName: table.tableName,
            Key: deliveryKey(id),
            UpdateExpression: "SET rate_slot = :slot",
            ConditionExpression: `app_id = :app AND attempt_count = :count AND ${
              keptMs === undefined ? "attribute_not_exists(rate_slot)" : "rate_slot = :kept"
            }`,
            ExpressionAttributeValues: {
              ":slot": slotMs,
              ":app": appId,
              ":count": expectedAttemptCount,
              ...(keptMs === undefined ? {} : { ":kept": keptMs }),
            },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    discardDeadLetter(appId, id, at) {
      return update(appId, id, "discarded", at, {
        set: ["status_reason = :reason"],
        remove: ["next_attempt_at"],
        values: { ":from": "dead_lettered", ":reason": "purged" },
        conditions: ["#status = :from"],
      });
    },

    async setDeliveryStatus(appId, id, status, at, reason) {
      // A status set apart from an attempt schedules nothing (an ended delivery waits for no
      // retry; a redriven one is due at once), and without a reason clears an old one.
      const updated = await update(appId, id, status, at, {
        set: reason ? ["status_reason = :reason"] : [],
        remove: reason ? ["next_attempt_at"] : ["status_reason", "next_attempt_at"],
        values: reason ? { ":reason": reason } : {},
        conditions: ["attribute_exists(PK)"],
      });
      if (!updated) throw new Error(`delivery ${id} of app ${appId} is not there`);
    },

    listDeliveries: (appId, filter, page) => listDeliveries(table, appId, filter, page),
    listDeliveriesWithBodies: (appId, filter, page) =>
      listDeliveries(table, appId, filter, page, true),
  };

  /** Every attempt of a delivery: those in its item, then those beyond, in their own items. */
  async function allAttempts(item: Record<string, unknown>): Promise<Attempt[]> {
    const attempts = attemptsOf(item);
    if (Number(item.attempt_count) <= FOLDED_ATTEMPTS) return attempts;
    const { Items = [] } = await table.doc.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: "PK = :pk AND begins_with(SK, :prefix)",
        ExpressionAttributeValues: {
          ":pk": item.PK,
          ":prefix": `${String(item.SK)}#ATT#`,
        },
      }),
    );
    attempts.push(...Items.map((row) => withoutKeys<Attempt>(row)));
    const last = item.last_attempt as Attempt | undefined;
    if (last && !attempts.some((known) => known.attempt === last.attempt)) attempts.push(last);
    return attempts;
  }
}
