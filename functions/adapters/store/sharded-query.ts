import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { TableContext } from "./table-context.ts";

/** Partitions whose items sort by a time-ordered id, read together as one list. */
export interface ShardedSource {
  /** The index read; the table itself when absent. */
  index?: string;
  partitionAttribute: string;
  partitions: string[];
  sortAttribute: string;
  /** How an id is written in the sort key. */
  sortValue(id: string): string;
  /** The id of an item read, or undefined for an item of another kind. */
  idOf(item: Record<string, unknown>): string | undefined;
}

/**
 * The ids to read, both ends inclusive, and the one to pass over: the entry a previous read
 * ended on, which a continuation's bound repeats.
 */
export interface IdRange {
  low: string;
  high: string;
  skip?: string;
}

export interface MergedEntry {
  id: string;
  /** The item as the query returned it: the whole item when the table was read. */
  item: Record<string, unknown>;
}

/** Above every ULID character: a high bound that takes in every id it is appended to. */
export const ABOVE_ALL = "~";

/**
 * Reads up to `perPartition` entries of `range` from every partition at once and merges them,
 * newest or oldest first. Only the part known to be complete is answered: a partition that had
 * more to give stops the merge at its last entry read, since its further entries are unread
 * while other partitions' entries beyond that could come before them. `more` says whether any
 * partition had more; the next read continues from the last entry answered.
 */
export async function mergeShards(
  table: TableContext,
  source: ShardedSource,
  range: IdRange,
  order: "newest" | "oldest",
  perPartition: number,
): Promise<{ entries: MergedEntry[]; more: boolean }> {
  // A continuation past the range's end (a cursor beyond `until`) has nothing left to read.
  if (range.low > range.high) return { entries: [], more: false };
  const oldestFirst = order === "oldest";
  const reads = await Promise.all(
    source.partitions.map((partition) =>
      readPartition(table, source, partition, range, oldestFirst, perPartition),
    ),
  );
  // Whether `a` comes before `b` in the list's order.
  const before = (a: string, b: string) => (oldestFirst ? a < b : a > b);
  let frontier: string | undefined;
  const entries: MergedEntry[] = [];
  for (const read of reads) {
    entries.push(...read.entries);
    const last = read.lastId;
    if (read.more && last !== undefined && (frontier === undefined || before(last, frontier))) {
      frontier = last;
    }
  }
  const complete = entries
    .filter((entry) => frontier === undefined || !before(frontier, entry.id))
    .sort((a, b) => (before(a.id, b.id) ? -1 : before(b.id, a.id) ? 1 : 0));
  return { entries: complete, more: frontier !== undefined };
}

async function readPartition(
  table: TableContext,
  source: ShardedSource,
  partition: string,
  range: IdRange,
  oldestFirst: boolean,
  limit: number,
) {
  const answer = await table.doc.send(
    new QueryCommand({
      TableName: table.tableName,
      IndexName: source.index,
      KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :low AND :high",
      ExpressionAttributeNames: { "#pk": source.partitionAttribute, "#sk": source.sortAttribute },
      ExpressionAttributeValues: {
        ":pk": partition,
        ":low": source.sortValue(range.low),
        ":high": source.sortValue(range.high),
      },
      ScanIndexForward: oldestFirst,
      Limit: limit,
    }),
  );
  const items = answer.Items ?? [];
  const ids = items.map((item) => source.idOf(item));
  const entries: MergedEntry[] = [];
  for (const [index, item] of items.entries()) {
    const id = ids[index];
    if (id !== undefined && id !== range.skip) entries.push({ id, item });
  }
  const lastId = ids.findLast((id) => id !== undefined);
  return { entries, lastId, more: answer.LastEvaluatedKey !== undefined };
}
