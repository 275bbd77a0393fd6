import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { DEFAULT_RETENTION_DAYS } from "../../config.ts";

/** The client and table every store module works on. */
export interface TableContext {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /**
   * How long per-event items (events, deliveries, their states) are kept (SPEC §2.5,
   * retention); 30 days when not given.
   */
  retentionDays?: number;
  /** Epoch milliseconds; tests move it to see items expire. */
  now?: () => number;
}

const KEY_ATTRIBUTES = ["PK", "SK", "GSI1PK", "GSI1SK", "by_app", "by_target", "by_status"];

/** Epoch seconds at which an item written now expires: its TTL attribute. */
export function expiresAt(table: TableContext): number {
  const days = table.retentionDays ?? DEFAULT_RETENTION_DAYS;
  return Math.ceil((nowMs(table) + days * 86_400_000) / 1000);
}

/** The table's clock: its `now` when given (tests), else the system's. */
export function nowMs(table: TableContext): number {
  return table.now?.() ?? Date.now();
}

/**
 * Whether an item is still kept: DynamoDB's TTL removes expired items only eventually (and
 * emulators never do), so reads treat an expired item as gone.
 */
export function isLive(table: TableContext, item: Record<string, unknown>): boolean {
  const expires = item.expires_at;
  return typeof expires !== "number" || expires * 1000 > nowMs(table);
}

/** An item without its key and bookkeeping attributes: the domain record. */
export function withoutKeys<T>(item: Record<string, unknown>): T {
  const record = { ...item };
  for (const key of KEY_ATTRIBUTES) delete record[key];
  delete record.kind;
  delete record.expires_at;
  return record as T;
}

export const appPartition = (appId: string) => `APP#${appId}`;

/** Whether an SDK error is DynamoDB refusing a conditional write. */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === "ConditionalCheckFailedException";
}

/** Puts an item if `condition` holds; false when it does not. */
export async function putIf(
  table: TableContext,
  item: Record<string, unknown>,
  condition: string,
  values?: Record<string, unknown>,
  names?: Record<string, string>,
): Promise<boolean> {
  try {
    await table.doc.send(
      new PutCommand({
        TableName: table.tableName,
        Item: item,
        ConditionExpression: condition,
        ExpressionAttributeValues: values,
        ExpressionAttributeNames: names,
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Gets one item of an app's partition as its domain record; `consistent` when a decision rests
 * on seeing a write that may be only milliseconds old.
 */
export async function getRecord<T>(
  table: TableContext,
  appId: string,
  sortKey: string,
  consistent = false,
) {
  const { Item } = await table.doc.send(
    new GetCommand({
      TableName: table.tableName,
      Key: { PK: appPartition(appId), SK: sortKey },
      ConsistentRead: consistent,
    }),
  );
  return Item ? withoutKeys<T>(Item) : null;
}

/** Deletes one item of an app's partition; false when there was none. */
export async function deleteRecord(table: TableContext, appId: string, sortKey: string) {
  const { Attributes } = await table.doc.send(
    new DeleteCommand({
      TableName: table.tableName,
      Key: { PK: appPartition(appId), SK: sortKey },
      ReturnValues: "ALL_OLD",
    }),
  );
  return Attributes !== undefined;
}

/** Every item of an app's partition whose sort key starts with `prefix`, all pages. */
export async function queryAll<T>(
  table: TableContext,
  appId: string,
  prefix: string,
  filter?: { expression: string; names: Record<string, string>; values: Record<string, unknown> },
): Promise<T[]> {
  const records: T[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const result = await table.doc.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: "PK = :pk AND begins_with(SK, :prefix)",
        FilterExpression: filter?.expression,
        ExpressionAttributeNames: filter?.names,
        ExpressionAttributeValues: {
          ":pk": appPartition(appId),
          ":prefix": prefix,
          ...filter?.values,
        },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of result.Items ?? []) records.push(withoutKeys<T>(item));
    startKey = result.LastEvaluatedKey;
  } while (startKey);
  return records;
}
