import type { Page, PageRequest } from "../../core/model.ts";
import { queryPage } from "./pagination.ts";
import {
  appPartition,
  deleteRecord,
  getRecord,
  putIf,
  queryAll,
  type TableContext,
} from "./table-context.ts";

/**
 * An app's configuration records of one kind (subscriptions `SUB#<id>`, workflows `WF#<id>`),
 * grouped in the app's partition (they are written rarely) and rewritten only from the version
 * they were read at.
 */
export function versionedRecords<T extends { id: string; version?: number }>(
  table: TableContext,
  kind: string,
  prefix: string,
) {
  const item = (appId: string, record: T) => ({
    PK: appPartition(appId),
    SK: `${prefix}${record.id}`,
    kind,
    ...record,
  });

  return {
    async create(appId: string, record: T): Promise<void> {
      await putIf(table, item(appId, { ...record, version: 1 }), "attribute_not_exists(PK)");
    },

    // Conditional on the version it was read at, so a write that landed in between is never
    // overwritten by a change computed from what it replaced.
    replace(appId: string, record: T): Promise<boolean> {
      const readAt = record.version ?? 0;
      return putIf(
        table,
        item(appId, { ...record, version: readAt + 1 }),
        readAt === 0
          ? "attribute_exists(PK) AND (attribute_not_exists(#version) OR #version = :readAt)"
          : "#version = :readAt",
        { ":readAt": readAt },
        { "#version": "version" },
      );
    },

    get: (appId: string, id: string, consistent = false) =>
      getRecord<T>(table, appId, `${prefix}${id}`, consistent),

    list: (appId: string, page: PageRequest): Promise<Page<T>> =>
      queryPage<T>(
        table,
        {
          partitionAttribute: "PK",
          partitionValue: appPartition(appId),
          sortAttribute: "SK",
          sortPrefix: prefix,
        },
        page,
      ),

    all: (appId: string) => queryAll<T>(table, appId, prefix),

    delete: (appId: string, id: string) => deleteRecord(table, appId, `${prefix}${id}`),
  };
}
