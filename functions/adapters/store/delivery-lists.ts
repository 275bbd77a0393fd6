import { decodeCursor, encodeCursor } from "../../core/cursor.ts";
import { isId } from "../../core/ids.ts";
import type { Delivery, DeliverySummary, Page, PageRequest } from "../../core/model.ts";
import type { DeliveryFilter } from "../../core/ports.ts";
import { batchGet } from "./batch-get.ts";
import { deliveryOf, SUMMARY_ATTRIBUTES } from "./delivery-items.ts";
import {
  deliveryKey,
  eventDeliveriesPartition,
  INDEXED_STATUSES,
  LIST_PREFIX,
  listPartitions,
} from "./event-keys.ts";
import { ABOVE_ALL, mergeShards, type ShardedSource } from "./sharded-query.ts";
import { isLive, type TableContext } from "./table-context.ts";

/** Items read by key per round while a filter leaves a page short. */
const READ_ROUND = 50;

/**
 * One page of an app's deliveries, newest first (SPEC §2.5). The narrowest list the filter
 * allows is read — an event's partition, the status index for failed, dead-lettered and
 * discarded, the per-target index, else the app-wide one — and the rest of the filter is
 * applied to the items read. One call reads a bounded amount: about three pages' worth of
 * index entries across the shards, and only the items it examines; a page that ends short
 * still carries a cursor when more may follow.
 */
export function listDeliveries(
  table: TableContext,
  appId: string,
  filter: DeliveryFilter,
  page: PageRequest,
): Promise<Page<DeliverySummary>>;
export function listDeliveries(
  table: TableContext,
  appId: string,
  filter: DeliveryFilter,
  page: PageRequest,
  withBodies: true,
): Promise<Page<Delivery>>;
export async function listDeliveries(
  table: TableContext,
  appId: string,
  filter: DeliveryFilter,
  page: PageRequest,
  withBodies = false,
): Promise<Page<DeliverySummary>> {
  const source = sourceFor(appId, filter);
  // The app and the whole filter: a cursor pages on the list it came from and no other.
  const listKey = JSON.stringify([
    appId,
    filter.status ?? null,
    filter.webhook_id ?? null,
    filter.workflow_id ?? null,
    filter.event_id ?? null,
  ]);
  // Opaque, and bound to the app and the list it came from: another's is a 400.
  const before =
    page.cursor === undefined
      ? undefined
      : decodeCursor(
          page.cursor,
          listKey,
          (id) => isId("delivery", id),
          "cursor is not one this list returned",
        );
  // At least four per partition: a partition that had more always moves the list on, and a
  // read of keys-only entries costs the same half unit up to 4 KB, so fewer would only make
  // pages end short (a busy shard's read stops the merge) for no saving.
  const perPartition = Math.max(4, Math.ceil((3 * page.limit) / source.partitions.length) + 1);
  const { entries, more } = await mergeShards(
    table,
    source,
    { low: "msg_", high: before ?? `msg_${ABOVE_ALL}`, skip: before },
    "newest",
    perPartition,
  );

  const data: DeliverySummary[] = [];
  let examined = 0;
  let unreadAt: number | undefined;
  while (examined < entries.length && data.length < page.limit && unreadAt === undefined) {
    const round = entries.slice(
      examined,
      examined + Math.max(READ_ROUND, page.limit - data.length),
    );
    const { items, unread } = await itemsOf(table, round, withBodies);
    for (const entry of round) {
      // An entry DynamoDB left unread (throttling, the 16 MB answer limit) may be a delivery
      // the page should show: the page ends before it, and the cursor comes back to it.
      if (unread.has(entry.id)) {
        unreadAt = examined;
        break;
      }
      examined++;
      const item = items.get(entry.id);
      if (item && item.app_id === appId && isLive(table, item) && matches(item, filter)) {
        const delivery = deliveryOf(item);
        if (withBodies) {
          data.push(delivery);
        } else {
          const { body: _, ...summary } = delivery;
          data.push(summary);
        }
        if (data.length === page.limit) break;
      }
    }
  }
  if (examined === 0 && unreadAt !== undefined) {
    throw new Error("DynamoDB left the list's deliveries unread after retries; try again");
  }
  const last = entries[examined - 1];
  const hasMore = examined < entries.length || more;
  return {
    data,
    next_cursor: hasMore && last ? encodeCursor(listKey, last.id) : null,
  };
}

function sourceFor(appId: string, filter: DeliveryFilter): ShardedSource {
  const targetId = filter.webhook_id ?? filter.workflow_id;
  if (filter.event_id) {
    return {
      partitionAttribute: "PK",
      partitions: [eventDeliveriesPartition(filter.event_id)],
      sortAttribute: "SK",
      sortValue: (id) => `DLV#${id}`,
      idOf: (item) => (item.kind === "delivery" ? String(item.id) : undefined),
    };
  }
  const index = (name: string, attribute: string, prefix: string): ShardedSource => ({
    index: name,
    partitionAttribute: attribute,
    partitions: listPartitions(prefix),
    sortAttribute: "id",
    sortValue: (id) => id,
    idOf: (item) => String(item.id),
  });
  if (filter.status && INDEXED_STATUSES.includes(filter.status)) {
    return index("DeliveriesByStatus", "by_status", LIST_PREFIX.status(appId, filter.status));
  }
  if (targetId) {
    return index("DeliveriesByTarget", "by_target", LIST_PREFIX.target(appId, targetId));
  }
  return index("Deliveries", "by_app", LIST_PREFIX.all(appId));
}

/**
 * The delivery items of entries: those the query returned whole, the rest read by key (without
 * their request bodies unless asked); and the ids DynamoDB left unread.
 */
async function itemsOf(
  table: TableContext,
  entries: { id: string; item: Record<string, unknown> }[],
  withBodies: boolean,
) {
  const items = new Map<string, Record<string, unknown>>();
  const toRead: string[] = [];
  for (const { id, item } of entries) {
    if (item.kind === "delivery") items.set(id, item);
    else toRead.push(id);
  }
  const read = await batchGet(
    table,
    toRead.map(deliveryKey),
    withBodies ? undefined : SUMMARY_ATTRIBUTES,
  );
  for (const item of read.items) items.set(String(item.id), item);
  const unread = new Set(read.unread.map((key) => key.SK?.slice("DLV#".length) ?? ""));
  return { items, unread };
}

function matches(item: Record<string, unknown>, filter: DeliveryFilter): boolean {
  const target = item.target as { type: string; id: string };
  if (filter.status && item.status !== filter.status) return false;
  if (filter.webhook_id && (target.type !== "webhook" || target.id !== filter.webhook_id)) {
    return false;
  }
  if (filter.workflow_id && (target.type !== "workflow" || target.id !== filter.workflow_id)) {
    return false;
  }
  return true;
}
