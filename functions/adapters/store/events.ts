import type { EventStore, StoredEvent } from "../../core/ports.ts";
import {
  appPartition,
  deleteRecord,
  getRecord,
  putIf,
  type TableContext,
} from "./table-context.ts";

export function eventStore(table: TableContext): EventStore {
  return {
    async putEvent(event) {
      await putIf(
        table,
        { PK: appPartition(event.app_id), SK: `EVT#${event.event_id}`, kind: "event", ...event },
        "attribute_not_exists(PK)",
      );
    },
    // Read right after the trigger wrote it (the fan-out, a retry deciding whether an event
    // exists): an eventually consistent read could miss it.
    getEvent: (appId, eventId) => getRecord<StoredEvent>(table, appId, `EVT#${eventId}`, true),
    async deleteEvent(appId, eventId) {
      await deleteRecord(table, appId, `EVT#${eventId}`);
    },
  };
}
