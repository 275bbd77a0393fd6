import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { encodeTime } from "ulid";
import type { DeliverySummary } from "../../core/model.ts";
import type { DeadLetterSelection } from "../../core/ports.ts";
import { batchGet } from "./batch-get.ts";
import { deliveryOf, SUMMARY_ATTRIBUTES } from "./delivery-items.ts";
import { deliveryKey, LIST_PREFIX, listPartitions } from "./event-keys.ts";
import { isLive, type TableContext } from "./table-context.ts";

/** Above every ULID character: the upper end of a window with no `until`. */
const AFTER_ALL = "~";

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
  const from = `msg_${selection.since ? encodeTime(selection.since.getTime(), 10) : ""}`;
  const low = after !== undefined && after > from ? after : from;
  // `until` is inclusive to the millisecond: every id of that millisecond sorts below "~".
  const high = `msg_${selection.until ? encodeTime(selection.until.getTime(), 10) : ""}${AFTER_ALL}`;
  const perShard = 2 * limit;
  const reads = await Promise.all(
    listPartitions(LIST_PREFIX.status(appId, "dead_lettered")).map(async (partition) => {
      const answer = await table.doc.send(
        new QueryCommand({
          TableName: table.tableName,
          IndexName: "DeliveriesByStatus",
          KeyConditionExpression: "by_status = :pk AND id BETWEEN :low AND :high",
          ExpressionAttributeValues: { ":pk": partition, ":low": low, ":high": high },
          ScanIndexForward: true,
          Limit: perShard,
        }),
      );
      const ids = (answer.Items ?? []).map((item) => String(item.id));
      return { ids, more: answer.LastEvaluatedKey !== undefined };
    }),
  );
  // A shard that had more stops the merge at its last id read: its later ones are unread.
  let frontier: string | undefined;
  for (const read of reads) {
    const last = read.ids.at(-1);
    if (read.more && last !== undefined && (frontier === undefined || last < frontier)) {
      frontier = last;
    }
  }
  const ids = reads
    .flatMap((read) => read.ids)
    // BETWEEN includes its lower bound: the id the previous call ended on.
    .filter((id) => id !== after && (frontier === undefined || id <= frontier))
    .sort();
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
  const more = frontier !== undefined || examined < ids.length;
  return { deliveries: matching, next: more ? ids[examined - 1] : undefined };
}
