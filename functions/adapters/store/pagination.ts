import { QueryCommand, type QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import { BadRequest } from "../../core/errors.ts";
import type { Page, PageRequest } from "../../core/model.ts";
import { type TableContext, withoutKeys } from "./table-context.ts";

export interface PagedQuery {
  /** The partition key attribute and its value, e.g. `GSI1PK` = `APP#a#DEF`. */
  partitionAttribute: string;
  partitionValue: string;
  sortAttribute: string;
  /** Keeps the query to one kind of item in a shared partition. */
  sortPrefix?: string;
  index?: string;
  /** Narrows results after the key condition (a DynamoDB FilterExpression). */
  filter?: { expression: string; names: Record<string, string>; values: Record<string, unknown> };
}

/**
 * One page of a query, newest first. The cursor is the key of the last item returned, so a
 * filtered query that stops mid-way through DynamoDB's page resumes exactly after it. A cursor
 * is checked to belong to the same partition: it cannot reach another app's items.
 */
export async function queryPage<T>(
  table: TableContext,
  query: PagedQuery,
  page: PageRequest,
): Promise<Page<T>> {
  const names: Record<string, string> = { "#pk": query.partitionAttribute, ...query.filter?.names };
  const values: Record<string, unknown> = { ":pk": query.partitionValue, ...query.filter?.values };
  let condition = "#pk = :pk";
  if (query.sortPrefix !== undefined) {
    names["#sk"] = query.sortAttribute;
    values[":prefix"] = query.sortPrefix;
    condition += " AND begins_with(#sk, :prefix)";
  }
  const items: Record<string, unknown>[] = [];
  let startKey = page.cursor ? decodeCursor(page.cursor, query) : undefined;
  do {
    const input: QueryCommandInput = {
      TableName: table.tableName,
      IndexName: query.index,
      KeyConditionExpression: condition,
      FilterExpression: query.filter?.expression,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
      Limit: page.limit + 1 - items.length,
      ExclusiveStartKey: startKey,
    };
    const result = await table.doc.send(new QueryCommand(input));
    items.push(...(result.Items ?? []));
    startKey = result.LastEvaluatedKey;
  } while (startKey && items.length <= page.limit);
  // One item past the page was asked for, so its presence alone says whether more follow.
  const hasMore = items.length > page.limit;
  const pageItems = items.slice(0, page.limit);
  const last = pageItems.at(-1);
  return {
    data: pageItems.map((item) => withoutKeys<T>(item)),
    next_cursor: hasMore && last ? encodeCursor(last, query) : null,
  };
}

function cursorAttributes(query: PagedQuery): string[] {
  const attributes = ["PK", "SK"];
  if (query.index) attributes.push(query.partitionAttribute, query.sortAttribute);
  return attributes;
}

function encodeCursor(item: Record<string, unknown>, query: PagedQuery): string {
  const key = Object.fromEntries(cursorAttributes(query).map((name) => [name, item[name]]));
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

function decodeCursor(cursor: string, query: PagedQuery): Record<string, string> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new BadRequest("cursor is not one this list returned");
  }
  const attributes = cursorAttributes(query);
  const valid =
    typeof key === "object" &&
    key !== null &&
    Object.keys(key).length === attributes.length &&
    attributes.every((name) => typeof (key as Record<string, unknown>)[name] === "string") &&
    (key as Record<string, string>)[query.partitionAttribute] === query.partitionValue &&
    (query.sortPrefix === undefined ||
      (key as Record<string, string>)[query.sortAttribute]?.startsWith(query.sortPrefix));
  if (!valid) throw new BadRequest("cursor is not one this list returned");
  return key as Record<string, string>;
}
