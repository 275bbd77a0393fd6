import { BatchGetCommand } from "@aws-sdk/lib-dynamodb";
import { sleep } from "../resend-failures.ts";
import type { TableContext } from "./table-context.ts";

/** BatchGetItem takes at most 100 keys. */
const KEYS_PER_BATCH_GET = 100;
/** Tries of one BatchGetItem's unprocessed keys before they are answered as unread. */
const BATCH_GET_TRIES = 3;

/**
 * The items of any number of keys, 100 to a BatchGetItem, asking again for what DynamoDB left
 * unprocessed (throttling, the 16 MB answer limit) a few times. What is still left is answered
 * apart (`unread`): unlike a missing item, it may well exist. `attributes` narrows what each
 * item brings back (a list needs no request body), not what the read costs.
 */
export async function batchGet(
  table: TableContext,
  keys: Record<string, string>[],
  attributes?: readonly string[],
): Promise<{ items: Record<string, unknown>[]; unread: Record<string, string>[] }> {
  const items: Record<string, unknown>[] = [];
  const unread: Record<string, string>[] = [];
  const projection = attributes && {
    ProjectionExpression: attributes.map((_, index) => `#a${index}`).join(", "),
    ExpressionAttributeNames: Object.fromEntries(
      attributes.map((name, index) => [`#a${index}`, name]),
    ),
  };
  for (let start = 0; start < keys.length; start += KEYS_PER_BATCH_GET) {
    let pending = keys.slice(start, start + KEYS_PER_BATCH_GET);
    for (let tries = 0; tries < BATCH_GET_TRIES && pending.length > 0; tries++) {
      if (tries > 0) await sleep(50 * 2 ** tries);
      const answer = await table.doc.send(
        new BatchGetCommand({
          RequestItems: { [table.tableName]: { Keys: pending, ...projection } },
        }),
      );
      items.push(...(answer.Responses?.[table.tableName] ?? []));
      pending = (answer.UnprocessedKeys?.[table.tableName]?.Keys ?? []) as Record<string, string>[];
    }
    unread.push(...pending);
  }
  return { items, unread };
}
