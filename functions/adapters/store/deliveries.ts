import { BatchGetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Attempt, Delivery, DeliverySummary } from "../../core/model.ts";
import type { DeliveryFilter, DeliveryStore } from "../../core/ports.ts";
import type { DeliveryStatus } from "../../core/schemas.ts";
import { sleep } from "../resend-failures.ts";
import { type PagedQuery, queryPage } from "./pagination.ts";
import {
  appPartition,
  getRecord,
  isConditionFailure,
  putIf,
  queryAll,
  type TableContext,
  withoutKeys,
} from "./table-context.ts";

/** BatchGetItem takes at most 100 keys: 50 deliveries, each with its body. */
const DELIVERIES_PER_BATCH_GET = 50;
/** Tries of one BatchGetItem's unprocessed keys before they are left to single reads. */
const BATCH_GET_TRIES = 3;

const statusPartition = (appId: string, status: DeliveryStatus) =>
  `${appPartition(appId)}#DLV#${status}`;
const targetPartition = (appId: string, targetId: string) =>
  `${appPartition(appId)}#TGT#${targetId}`;
const bodyKey = (deliveryId: string) => `BODY#${deliveryId}`;
const attemptKey = (deliveryId: string, attempt: number) =>
  `ATT#${deliveryId}#${String(attempt).padStart(6, "0")}`;

export function deliveryStore(table: TableContext): DeliveryStore {
  const setStatus = async (
    appId: string,
    id: string,
    status: DeliveryStatus,
    at: string,
    extra: {
      set?: string;
      remove?: string[];
      values?: Record<string, unknown>;
      names?: Record<string, string>;
      condition?: string;
    } = {},
  ) => {
    const remove = extra.remove?.length ? ` REMOVE ${extra.remove.join(", ")}` : "";
    await table.doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { PK: appPartition(appId), SK: `DLV#${id}` },
        UpdateExpression: `SET #status = :status, GSI1PK = :statusKey, updated_at = :at${extra.set ? `, ${extra.set}` : ""}${remove}`,
        ConditionExpression: extra.condition ?? "attribute_exists(PK)",
        ExpressionAttributeNames: { "#status": "status", ...extra.names },
        ExpressionAttributeValues: {
          ":status": status,
          ":statusKey": statusPartition(appId, status),
          ":at": at,
          ...extra.values,
        },
      }),
    );
  };

  return {
    async createDelivery({ body, ...delivery }) {
      // The body is written once, in an item of its own: the delivery item is rewritten at
      // every attempt and copied into both indexes, where a large body would multiply the cost.
      // A body already there belongs to this very delivery (its id is derived from event and
      // target), written by a run that stopped before the delivery item: it is kept.
      await putIf(
        table,
        {
          PK: appPartition(delivery.app_id),
          SK: bodyKey(delivery.id),
          kind: "delivery_body",
          body,
        },
        "attribute_not_exists(PK)",
      );
      return putIf(
        table,
        {
          PK: appPartition(delivery.app_id),
          SK: `DLV#${delivery.id}`,
          GSI1PK: statusPartition(delivery.app_id, delivery.status),
          GSI1SK: delivery.id,
          GSI2PK: targetPartition(delivery.app_id, delivery.target.id),
          GSI2SK: delivery.id,
          kind: "delivery",
          ...delivery,
        },
        "attribute_not_exists(PK)",
      );
    },

    async getDelivery(appId, id) {
      const [delivery, body] = await Promise.all([
        getRecord<DeliverySummary>(table, appId, `DLV#${id}`),
        getRecord<{ body: string }>(table, appId, bodyKey(id)),
      ]);
      if (!delivery) return null;
      if (!body) throw new Error(`delivery ${id} has no request body`);
      return { ...delivery, body: body.body };
    },

    async getDeliveries(keys) {
      const found = new Map<string, Delivery>();
      for (let start = 0; start < keys.length; start += DELIVERIES_PER_BATCH_GET) {
        const chunk = keys.slice(start, start + DELIVERIES_PER_BATCH_GET);
        const items = await batchGet(
          table,
          chunk.flatMap(({ appId, id }) => [
            { PK: appPartition(appId), SK: `DLV#${id}` },
            { PK: appPartition(appId), SK: bodyKey(id) },
          ]),
        );
        const bodies = new Map<string, string>();
        for (const item of items) {
          if (item.kind === "delivery_body") bodies.set(String(item.SK), String(item.body));
        }
        for (const item of items) {
          if (item.kind !== "delivery") continue;
          const summary = withoutKeys<DeliverySummary>(item);
          const body = bodies.get(bodyKey(summary.id));
          // A delivery read without its body (left unprocessed) is read alone later.
          if (body !== undefined) found.set(summary.id, { ...summary, body });
        }
      }
      return found;
    },

    listAttempts: (appId, id) => queryAll<Attempt>(table, appId, `ATT#${id}#`),

    async recordAttempt(appId, id, update) {
      const { attempt, status, expectedAttemptCount, messageId, url, nextAttemptAt } = update;
      const { takesOverFrom } = update;
      // The conditional update claims the attempt number; the attempt row follows. A crash
      // between the two leaves the attempt in `last_attempt`, never a number used twice.
      // An attempt clears any reason a previous round ended with.
      const set = [
        "attempt_count = :count",
        "last_attempt = :attempt",
        "owner_message_id = :owner",
      ];
      const values: Record<string, unknown> = {
        ":count": attempt.attempt,
        ":attempt": attempt,
        ":expected": expectedAttemptCount,
        ":owner": messageId,
      };
      const names: Record<string, string> = {};
      const remove = ["status_reason"];
      let owners = "attribute_not_exists(owner_message_id) OR owner_message_id = :owner";
      if (takesOverFrom !== undefined) {
        owners += " OR owner_message_id = :from";
        values[":from"] = takesOverFrom;
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
      try {
        await setStatus(appId, id, status, attempt.at, {
          set: set.join(", "),
          remove,
          values,
          names,
          condition: `attempt_count = :expected AND (${owners})`,
        });
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
      await putIf(
        table,
        {
          PK: appPartition(appId),
          SK: attemptKey(id, attempt.attempt),
          kind: "attempt",
          ...attempt,
        },
        "attribute_not_exists(PK)",
      );
      return true;
    },

    setDeliveryStatus: (appId, id, status, at, reason) =>
      setStatus(
        appId,
        id,
        status,
        at,
        // A status set apart from an attempt schedules nothing (an ended delivery waits for
        // no retry; a redriven one is due at once), and without a reason clears an old one.
        reason
          ? {
              set: "status_reason = :reason",
              values: { ":reason": reason },
              remove: ["next_attempt_at"],
            }
          : { remove: ["status_reason", "next_attempt_at"] },
      ),

    listDeliveries: (appId, filter, page) =>
      queryPage<DeliverySummary>(table, deliveryQuery(appId, filter), page),
  };
}

/** The narrowest key for the filter, the rest of the filter as a FilterExpression. */
function deliveryQuery(appId: string, filter: DeliveryFilter): PagedQuery {
  const conditions: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const targetId = filter.webhook_id ?? filter.workflow_id;
  let query: PagedQuery;
  if (filter.event_id) {
    // A delivery id starts with its event's ULID, so an event's deliveries share a prefix.
    const eventUlid = filter.event_id.slice(filter.event_id.indexOf("_") + 1);
    query = {
      partitionAttribute: "PK",
      partitionValue: appPartition(appId),
      sortAttribute: "SK",
      sortPrefix: `DLV#msg_${eventUlid}`,
    };
    if (targetId) {
      conditions.push("#target.#id = :target");
      Object.assign(names, { "#target": "target", "#id": "id" });
      values[":target"] = targetId;
    }
  } else if (targetId) {
    query = {
      index: "GSI2",
      partitionAttribute: "GSI2PK",
      partitionValue: targetPartition(appId, targetId),
      sortAttribute: "GSI2SK",
    };
  } else if (filter.status) {
    query = {
      index: "GSI1",
      partitionAttribute: "GSI1PK",
      partitionValue: statusPartition(appId, filter.status),
      sortAttribute: "GSI1SK",
    };
  } else {
    query = {
      partitionAttribute: "PK",
      partitionValue: appPartition(appId),
      sortAttribute: "SK",
      sortPrefix: "DLV#",
    };
  }
  if (filter.status && query.index !== "GSI1") {
    conditions.push("#status = :status");
    names["#status"] = "status";
    values[":status"] = filter.status;
  }
  if (filter.webhook_id || filter.workflow_id) {
    conditions.push("#target.#type = :targetType");
    Object.assign(names, { "#target": "target", "#type": "type" });
    values[":targetType"] = filter.webhook_id ? "webhook" : "workflow";
  }
  if (conditions.length) query.filter = { expression: conditions.join(" AND "), names, values };
  return query;
}

/**
 * BatchGetItem of up to 100 keys, asking again for what DynamoDB left unprocessed (throttling,
 * the 16 MB answer limit) a few times; what is still left is simply not in the answer.
 */
async function batchGet(
  table: TableContext,
  keys: Record<string, string>[],
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let pending = keys;
  for (let tries = 0; tries < BATCH_GET_TRIES && pending.length > 0; tries++) {
    if (tries > 0) await sleep(50 * 2 ** tries);
    const answer = await table.doc.send(
      new BatchGetCommand({ RequestItems: { [table.tableName]: { Keys: pending } } }),
    );
    items.push(...(answer.Responses?.[table.tableName] ?? []));
    pending = (answer.UnprocessedKeys?.[table.tableName]?.Keys ?? []) as Record<string, string>[];
  }
  return items;
}
