import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { IdempotencyRecord, IdempotencyStore } from "../../core/ports.ts";
import {
  appPartition,
  deleteRecord,
  getRecord,
  isConditionFailure,
  putIf,
  type TableContext,
} from "./table-context.ts";

export function idempotencyStore(table: TableContext): IdempotencyStore {
  const sortKey = (key: string) => `IDEM#${key}`;
  const item = (appId: string, record: IdempotencyRecord, windowMs: number) => {
    const createdMs = Date.parse(record.created_at);
    return {
      PK: appPartition(appId),
      SK: sortKey(record.key),
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
        const existing = await getRecord<IdempotencyRecord & { created_ms?: number }>(
          table,
          appId,
          sortKey(record.key),
          true,
        );
        if (existing) {
          const { created_ms: _, ...rest } = existing;
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
            Key: { PK: appPartition(appId), SK: sortKey(key) },
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
      await deleteRecord(table, appId, sortKey(key));
    },
  };
}
