import { DeleteCommand, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { EventStore, StoredEvent } from "../../core/ports.ts";
import { EVENT_SORT_KEY, eventPartition } from "./event-keys.ts";
import {
  expiresAt,
  isConditionFailure,
  isLive,
  putIf,
  type TableContext,
  withoutKeys,
} from "./table-context.ts";

/** An event is the first item of its own partition, which its deliveries share. */
export function eventStore(table: TableContext): EventStore {
  const key = (eventId: string) => ({ PK: eventPartition(eventId), SK: EVENT_SORT_KEY });
  return {
    async putEvent(event) {
      await putIf(
        table,
        { ...key(event.event_id), kind: "event", ...event, expires_at: expiresAt(table) },
        "attribute_not_exists(PK)",
      );
    },
    async getEvent(appId, eventId) {
      // Read right after the trigger wrote it (the fan-out, a retry deciding whether an event
      // exists): an eventually consistent read could miss it.
      const { Item } = await table.doc.send(
        new GetCommand({ TableName: table.tableName, Key: key(eventId), ConsistentRead: true }),
      );
      if (!Item || Item.app_id !== appId || !isLive(table, Item)) return null;
      // Its replay count is the store's bookkeeping, not the event's.
      const { replays: _, ...event } = withoutKeys<StoredEvent & { replays?: number }>(Item);
      return event;
    },
    async nextReplay(appId, eventId) {
      try {
        const { Attributes } = await table.doc.send(
          new UpdateCommand({
            TableName: table.tableName,
            Key: key(eventId),
            UpdateExpression: "ADD replays :one",
            ConditionExpression: "app_id = :app",
            ExpressionAttributeValues: { ":one": 1, ":app": appId },
            ReturnValues: "UPDATED_NEW",
          }),
        );
        return Number(Attributes?.replays);
      } catch (error) {
        if (isConditionFailure(error)) return null;
        throw error;
      }
    },
    async deleteEvent(appId, eventId) {
      await table.doc.send(
        new DeleteCommand({
          TableName: table.tableName,
          Key: key(eventId),
          ConditionExpression: "attribute_not_exists(PK) OR app_id = :app",
          ExpressionAttributeValues: { ":app": appId },
        }),
      );
    },
  };
}
