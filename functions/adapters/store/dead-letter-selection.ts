import type { DeliverySummary } from "../../core/model.ts";
import type { DeadLetterSelection } from "../../core/ports.ts";
import { batchGet } from "./batch-get.ts";
import { deliveryOf, SUMMARY_ATTRIBUTES } from "./delivery-items.ts";
import { deliveryKey, LIST_PREFIX, listPartitions } from "./event-keys.ts";
import { idWindow } from "./id-window.ts";
import { mergeShards } from "./sharded-query.ts";
import { isLive, type TableContext } from "./table-context.ts";

/**
 * The oldest dead-lettered deliveries of an app that `selection` matches, at most `limit`
 * (a redrive's or a purge's next batch, SPEC §2.5), after the delivery id `after` when given.
 * Reads the status index's shards at once, oldest first within the selection's window (delivery
 * ids begin with their event's time), and merges them as far as every shard is known to be
 * complete; a target is matched on the items read. One call reads a bounded amount: `next` is
 * the last id it examined when more may match beyond it, to continue after — dead letters of
 * other targets ahead of the selection's are passed over, not read again and again.
 */
export async function oldestDeadLetters(
  table: TableContext,
  appId: string,
  selection: DeadLetterSelection,
  limit: number,
  after?: string,
): Promise<{ deliveries: DeliverySummary[]; next: string | undefined }> {
  const { entries, more: unreadShards } = await mergeShards(
    table,
    {
      index: "DeliveriesByStatus",
      partitionAttribute: "by_status",
      partitions: listPartitions(LIST_PREFIX.status(appId, "dead_lettered")),
      sortAttribute: "id",
      sortValue: (id) => id,
      idOf: (item) => String(item.id),
    },
    idWindow("msg_", selection, after),
    "oldest",
    2 * limit,
  );
  const ids = entries.map((entry) => entry.id);
  const { items } = await batchGet(table, ids.map(deliveryKey), SUMMARY_ATTRIBUTES);
  const byId = new Map(items.map((item) => [String(item.id), item]));
  const matching: DeliverySummary[] = [];
  let examined = 0;
  for (const id of ids) {
    if (matching.length === limit) break;
    examined++;
    const item = byId.get(id);
    if (!item || item.app_id !== appId || !isLive(table, item)) continue;
    const { body: _, ...delivery } = deliveryOf(item);
    if (delivery.status !== "dead_lettered") continue;
    if (selection.targetId !== undefined && delivery.target.id !== selection.targetId) continue;
    matching.push(delivery);
  }
  const more = unreadShards || examined < ids.length;
  return { deliveries: matching, next: more ? ids[examined - 1] : undefined };
}
