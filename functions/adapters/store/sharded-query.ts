import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { TableContext } from "./table-context.ts";

/** Partitions whose items sort by delivery id, read together as one list. */
export interface ShardedSource {
  /** The index read; the table itself when absent. */
  index?: string;
  partitionAttribute: string;
  partitions: string[];
  sortAttribute: string;
  /** How a delivery id is written in the sort key. */
  sortValue(deliveryId: string): string;
  /** The delivery id of an item read, or undefined for an item of another kind. */
  idOf(item: Record<string, unknown>): string | undefined;
}

export interface MergedEntry {
  id: string;
  /** The item as the query returned it: the whole item when the table was read. */
  item: Record<string, unknown>;
}

/**
 * Reads up to `perPartition` entries older than `before` from every partition at once and
 * merges them newest first. Only the part known to be complete is answered: a partition that
 * had more to give stops the merge at its last entry read, since its older entries are unread
 * while other partitions' entries older than that could follow. `more` says whether any
 * partition had more; the next read continues before the last entry answered.
 */
export async function mergeNewestFirst(
  table: TableContext,
  source: ShardedSource,
  before: string | undefined,
  perPartition: number,
): Promise<{ entries: MergedEntry[]; more: boolean }> {
  const reads = await Promise.all(
    source.partitions.map((partition) =>
      readPartition(table, source, partition, before, perPartition),
    ),
  );
  let frontier: string | undefined;
  const entries: MergedEntry[] = [];
  for (const read of reads) {
    entries.push(...read.entries);
    const last = read.lastId;
    if (read.more && last !== undefined && (frontier === undefined || last > frontier)) {
      frontier = last;
    }
  }
  const complete = entries
    .filter((entry) => frontier === undefined || entry.id >= frontier)
    .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return { entries: complete, more: frontier !== undefined };
}

async function readPartition(
  table: TableContext,
  source: ShardedSource,
  partition: string,
  before: string | undefined,
  limit: number,
) {
  const low = source.sortValue("msg_");
  const answer = await table.doc.send(
    new QueryCommand({
      TableName: table.tableName,
      IndexName: source.index,
      KeyConditionExpression:
        before === undefined
          ? "#pk = :pk AND begins_with(#sk, :low)"
          : "#pk = :pk AND #sk BETWEEN :low AND :high",
      ExpressionAttributeNames: { "#pk": source.partitionAttribute, "#sk": source.sortAttribute },
      ExpressionAttributeValues: {
        ":pk": partition,
        ":low": low,
        ...(before === undefined ? {} : { ":high": source.sortValue(before) }),
      },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  const items = answer.Items ?? [];
  const ids = items.map((item) => source.idOf(item));
  const entries: MergedEntry[] = [];
  for (const [index, item] of items.entries()) {
    const id = ids[index];
    // BETWEEN includes its upper bound: the entry the previous page ended on.
    if (id !== undefined && id !== before) entries.push({ id, item });
  }
  const lastId = ids.findLast((id) => id !== undefined);
  return { entries, lastId, more: answer.LastEvaluatedKey !== undefined };
}
