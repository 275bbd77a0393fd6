import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { App } from "../../core/model.ts";
import type { AppStore } from "../../core/ports.ts";
import { appPartition, type TableContext } from "./table-context.ts";

export function appStore(table: TableContext): AppStore {
  return {
    async findAppByKeyHash(keyHash) {
      const { Item } = await table.doc.send(
        new GetCommand({ TableName: table.tableName, Key: { PK: `KEY#${keyHash}`, SK: "KEY" } }),
      );
      if (!Item) return null;
      return { id: Item.app_id, name: Item.name, created_at: Item.created_at } as App;
    },

    async createApp(app, keyHash) {
      await table.doc.send(
        new PutCommand({
          TableName: table.tableName,
          Item: { PK: appPartition(app.id), SK: "APP", kind: "app", ...app },
          ConditionExpression: "attribute_not_exists(PK)",
        }),
      );
      await table.doc.send(
        new PutCommand({
          TableName: table.tableName,
          Item: {
            PK: `KEY#${keyHash}`,
            SK: "KEY",
            kind: "api_key",
            app_id: app.id,
            name: app.name,
            created_at: app.created_at,
          },
          ConditionExpression: "attribute_not_exists(PK)",
        }),
      );
    },
  };
}
