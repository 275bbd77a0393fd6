import type { EventDefinition } from "../../core/model.ts";
import type { DefinitionStore } from "../../core/ports.ts";
import { queryPage } from "./pagination.ts";
import {
  appPartition,
  deleteRecord,
  getRecord,
  putIf,
  queryAll,
  type TableContext,
} from "./table-context.ts";

export function definitionStore(table: TableContext): DefinitionStore {
  const item = (appId: string, definition: EventDefinition) => ({
    PK: appPartition(appId),
    SK: `DEF#${definition.slug}`,
    GSI1PK: `${appPartition(appId)}#DEF`,
    GSI1SK: `${definition.created_at}#${definition.slug}`,
    kind: "definition",
    ...definition,
  });

  return {
    createDefinition: (appId, definition) =>
      putIf(table, item(appId, definition), "attribute_not_exists(PK)"),

    replaceDefinition: (appId, definition) =>
      putIf(table, item(appId, definition), "attribute_exists(PK)"),

    getDefinition: (appId, slug) => getRecord<EventDefinition>(table, appId, `DEF#${slug}`),

    async findDefinitionByName(appId, name) {
      // Names are not keys; an app has few definitions, so reading them all is cheap.
      const [found] = await queryAll<EventDefinition>(table, appId, "DEF#", {
        expression: "#name = :name",
        names: { "#name": "name" },
        values: { ":name": name },
      });
      return found ?? null;
    },

    listDefinitions: (appId, page) =>
      queryPage<EventDefinition>(
        table,
        {
          index: "GSI1",
          partitionAttribute: "GSI1PK",
          partitionValue: `${appPartition(appId)}#DEF`,
          sortAttribute: "GSI1SK",
        },
        page,
      ),

    deleteDefinition: (appId, slug) => deleteRecord(table, appId, `DEF#${slug}`),
  };
}
