import type { StoredEvent, TimeWindow } from "../../core/ports.ts";
import { eventLogPartitions } from "./event-keys.ts";
import { idWindow } from "./id-window.ts";
import { mergeShards } from "./sharded-query.ts";
import { isLive, type TableContext, withoutKeys } from "./table-context.ts";

/**
 * Up to about `limit` of an app's stored events of a window, oldest first, after the event id
 * `after` when given (SPEC §2.5's replay to one subscription). Reads the log's shards at once
 * and merges them as far as every shard is known to be complete, so a call may answer fewer;
 * `next` is the last id answered when more may follow, to continue after.
 */
export async function oldestEvents(
  table: TableContext,
  appId: string,
  window: TimeWindow,
  limit: number,
  after?: string,
): Promise<{ events: StoredEvent[]; next: string | undefined }> {
  const partitions = eventLogPartitions(appId);
  const { entries, more } = await mergeShards(
    table,
    {
      partitionAttribute: "PK",
      partitions,
      sortAttribute: "SK",
      sortValue: (id) => id,
      idOf: (item) => (item.kind === "event" ? String(item.event_id) : undefined),
    },
    idWindow("evt_", window, after),
    "oldest",
    Math.max(4, Math.ceil(limit / partitions.length) + 1),
  );
  const taken = entries.slice(0, limit);
  const events = taken
    .filter(({ item }) => item.app_id === appId && isLive(table, item))
    .map(({ item }) => eventOf(item));
  const last = taken.at(-1)?.id;
  return { events, next: (more || taken.length < entries.length) && last ? last : undefined };
}

/** The event of its item: its replay count is the store's bookkeeping, not the event's. */
export function eventOf(item: Record<string, unknown>): StoredEvent {
  const { replays: _, ...event } = withoutKeys<StoredEvent & { replays?: number }>(item);
  return event;
}
