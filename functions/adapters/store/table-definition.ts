/**
 * The single table's shape, shared by the CDK stack, the local runtime and the tests so all
 * three create the same table.
 *
 * | item | PK | SK | GSI1 (PK / SK) | GSI2 (PK / SK) |
 * |---|---|---|---|---|
 * | API key | `KEY#<sha256>` | `KEY` | | |
 * | app | `APP#<app>` | `APP` | | |
 * | definition | `APP#<app>` | `DEF#<slug>` | `APP#<app>#DEF` / `<created_at>#<slug>` | |
 * | subscription | `APP#<app>` | `SUB#<id>` | | |
 * | subscription's health (only after failures or a slow answer) | `APP#<app>` | `HEALTH#<subscription>` | | |
 * | event | `APP#<app>` | `EVT#<id>` | | |
 * | idempotency key | `APP#<app>` | `IDEM#<key>` | | |
 * | delivery | `APP#<app>` | `DLV#<id>` | `APP#<app>#DLV#<status>` / `<id>` | `APP#<app>#TGT#<target>` / `<id>` |
 * | delivery's request body | `APP#<app>` | `BODY#<delivery>` | | |
 * | attempt | `APP#<app>` | `ATT#<delivery>#<n>` | | |
 *
 * Ids are ULID-based, so `SK` order is creation order and lists read newest first.
 */
export const TABLE = {
  partitionKey: "PK",
  sortKey: "SK",
  indexes: [
    { name: "GSI1", partitionKey: "GSI1PK", sortKey: "GSI1SK" },
    { name: "GSI2", partitionKey: "GSI2PK", sortKey: "GSI2SK" },
  ],
  /** Epoch seconds; DynamoDB deletes expired items eventually, so code still checks times. */
  timeToLiveAttribute: "expires_at",
} as const;

export type IndexName = (typeof TABLE.indexes)[number]["name"];
