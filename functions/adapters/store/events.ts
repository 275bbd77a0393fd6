import { DeleteCommand, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { EventStore } from "../../core/ports.ts";
import { eventKey } from "./event-keys.ts";
import { eventOf, oldestEvents } from "./event-log.ts";
import {
  expiresAt,
  isConditionFailure,
  isLive,
  putIf,
  type TableContext,
} from "./table-context.ts";

/** Events are the app's event log (`eventKey`), read by id or in time order. */
export function eventStore(table: TableContext): EventStore {
  return {
    async putEvent(event) {
      await putIf(
        table,
        {
          ...eventKey(event.app_id, event.event_id),
          kind: "event",
          ...event,
          expires_at: expiresAt(table),
        },
        "attribute_not_exists(PK)",
      );
    },
    async getEvent(appId, eventId) {
      // Read right after the trigger wrote it (the fan-out, a retry deciding whether an event
      // exists): an eventually consistent read could miss it.
      const { Item } = await table.doc.send(
        new GetCommand({
          TableName: table.tableName,
          Key: eventKey(appId, eventId),
          ConsistentRead: true,
        }),
      );
      if (!Item || Item.app_id !== appId || !isLive(table, Item)) return null;
      return eventOf(Item);
    },
    oldestEvents: (appId, window, limit, after) => oldestEvents(table, appId, window, limit, after),
    async nextReplay(appId, eventId) {
      try {
        const { Attributes } = await table.doc.send(
          new UpdateCommand({
            TableName: table.tableName,
            Key: eventKey(appId, eventId),
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
          Key: eventKey(appId, eventId),
          ConditionExpression: "attribute_not_exists(PK) OR app_id = :app",
          ExpressionAttributeValues: { ":app": appId },
        }),
      );
    },
  };
}
