import { BatchGetCommand } from "@aws-sdk/lib-dynamodb";
import { sleep } from "../resend-failures.ts";
import type { TableContext } from "./table-context.ts";

/** BatchGetItem takes at most 100 keys. */
export const KEYS_PER_BATCH_GET = 100;
/** Tries of one BatchGetItem's unprocessed keys before they are left out. */
const BATCH_GET_TRIES = 3;

/**
 * The items of any number of keys, 100 to a BatchGetItem, asking again for what DynamoDB left
 * unprocessed (throttling, the 16 MB answer limit) a few times; what is still left is simply
 * not in the answer, as a missing item is not.
 */
export async function batchGet(
  table: TableContext,
  keys: Record<string, string>[],
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (let start = 0; start < keys.length; start += KEYS_PER_BATCH_GET) {
    let pending = keys.slice(start, start + KEYS_PER_BATCH_GET);
    for (let tries = 0; tries < BATCH_GET_TRIES && pending.length > 0; tries++) {
      if (tries > 0) await sleep(50 * 2 ** tries);
      const answer = await table.doc.send(
        new BatchGetCommand({ RequestItems: { [table.tableName]: { Keys: pending } } }),
      );
      items.push(...(answer.Responses?.[table.tableName] ?? []));
      pending = (answer.UnprocessedKeys?.[table.tableName]?.Keys ?? []) as Record<string, string>[];
    }
  }
  return items;
}
