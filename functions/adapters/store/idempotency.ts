import { DeleteCommand, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { IdempotencyRecord, IdempotencyStore } from "../../core/ports.ts";
import { isConditionFailure, putIf, type TableContext, withoutKeys } from "./table-context.ts";

/**
 * Each key is a partition of its own (an app's keys would otherwise share one partition key
 * with all of the app's traffic), and expires with its window.
 */
export function idempotencyStore(table: TableContext): IdempotencyStore {
  const keyOf = (appId: string, key: string) => ({ PK: `IDEM#${appId}#${key}`, SK: "IDEM" });
  const item = (appId: string, record: IdempotencyRecord, windowMs: number) => {
    const createdMs = Date.parse(record.created_at);
    return {
      ...keyOf(appId, record.key),
      kind: "idempotency_key",
      ...record,
      created_ms: createdMs,
      expires_at: Math.ceil((createdMs + windowMs) / 1000),
    };
  };

  return {
    async claimIdempotencyKey(appId, record, windowMs) {
      // TTL removes old keys only eventually (and emulators never do), so the window is
      // enforced here: a claim older than the window may be taken over.
      for (let tries = 0; tries < 3; tries++) {
        const claimed = await putIf(
          table,
          item(appId, record, windowMs),
          "attribute_not_exists(PK) OR created_ms < :cutoff",
          { ":cutoff": Date.parse(record.created_at) - windowMs },
        );
        if (claimed) return { claimed: true };
        const { Item } = await table.doc.send(
          new GetCommand({
            TableName: table.tableName,
            Key: keyOf(appId, record.key),
            ConsistentRead: true,
          }),
        );
        if (Item) {
          const { created_ms: _, ...rest } = withoutKeys<
            IdempotencyRecord & { created_ms?: number }
          >(Item);
          return { claimed: false, existing: rest };
        }
        // Released between our write and our read: try to claim it again.
      }
      throw new Error(`idempotency key ${record.key} kept changing while being claimed`);
    },

    async replaceIdempotencyClaim(appId, expected, next, windowMs) {
      return putIf(
        table,
        item(appId, next, windowMs),
        "#state = :pending AND event_id = :eventId AND lease_until = :leaseUntil",
        {
          ":pending": "pending",
          ":eventId": expected.event_id,
          ":leaseUntil": expected.lease_until,
        },
        { "#state": "state" },
      );
    },

    async completeIdempotencyKey(appId, key, eventId) {
      // Only the claim this request holds is completed: never a key someone else took over,
      // and never a new item for a key that is gone.
      try {
        await table.doc.send(
          new UpdateCommand({
            TableName: table.tableName,
            Key: keyOf(appId, key),
            UpdateExpression: "SET #state = :done",
            ConditionExpression: "attribute_exists(PK) AND event_id = :eventId",
            ExpressionAttributeNames: { "#state": "state" },
            ExpressionAttributeValues: { ":done": "done", ":eventId": eventId },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },

    async releaseIdempotencyKey(appId, key) {
      await table.doc.send(
        new DeleteCommand({ TableName: table.tableName, Key: keyOf(appId, key) }),
      );
    },
  };
}
