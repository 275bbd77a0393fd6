/**
 * The single table's shape, shared by the CDK stack, the local runtime and the tests so all
 * three create the same table.
 *
 * Configuration, written rarely, is grouped by app; everything written per event or per
 * failure has a partition key of its own, so no key takes more than a sliver of an app's
 * traffic:
 *
 * | item | PK | SK | index entries |
 * |---|---|---|---|
 * | API key | `KEY#<sha256>` | `KEY` | |
 * | app | `APP#<app>` | `APP` | |
 * | definition | `APP#<app>` | `DEF#<slug>` | GSI1 `APP#<app>#DEF` / `<created_at>#<slug>` |
 * | subscription | `APP#<app>` | `SUB#<id>` | |
 * | workflow | `APP#<app>` | `WF#<id>` | |
 * | subscription's health: pausing, failure streak, slow mark, rate limiter's next slot (only after a failure, a slow answer or a rate-limited send) | `HEALTH#<app>#<subscription>` | `HEALTH` | |
 * | idempotency key | `IDEM#<app>#<key>` | `IDEM` | |
 * | event (the app's event log) | `EVENTS#<app>#<shard>` | `<event id>` | |
 * | delivery (its request body and its first four attempts) | `EVT#<event>` | `DLV#<id>` | Deliveries `<app>#<shard>` / id; DeliveriesByTarget `<app>#<target>#<shard>` / id; while failed, dead-lettered or discarded, DeliveriesByStatus `<app>#<status>#<shard>` / id |
 * | a delivery's fifth and later attempts | `EVT#<event>` | `DLV#<id>#ATT#<n>` | |
 *
 * The event log and the delivery lists' indexes are write-sharded: an item or entry goes to one
 * of `SHARDS` partitions chosen by a hash of its id, and a list reads every shard and merges
 * them in time order (event and delivery ids are ULID-based, so id order is creation order).
 * The indexes project keys only, and the app-wide and per-target keys never change: recording
 * an attempt rewrites the delivery item and no index entry; a list reads the items it shows by
 * key. The event log needs no index: its items are the log.
 */
export const TABLE = {
  partitionKey: "PK",
  sortKey: "SK",
  indexes: [
    { name: "GSI1", partitionKey: "GSI1PK", sortKey: "GSI1SK", projection: "ALL" },
    { name: "Deliveries", partitionKey: "by_app", sortKey: "id", projection: "KEYS_ONLY" },
    {
      name: "DeliveriesByTarget",
      partitionKey: "by_target",
      sortKey: "id",
      projection: "KEYS_ONLY",
    },
    {
      name: "DeliveriesByStatus",
      partitionKey: "by_status",
      sortKey: "id",
      projection: "KEYS_ONLY",
    },
  ],
  /** Epoch seconds; DynamoDB deletes expired items eventually, so code still checks times. */
  timeToLiveAttribute: "expires_at",
} as const;

export type IndexName = (typeof TABLE.indexes)[number]["name"];

/**
 * Partitions per app of the event log, and per app (and per app and target, and per app and
 * status) of the delivery indexes. Each takes 1/32 of the app's events or delivery entries, so
 * at DynamoDB's 1,000 write units a second per partition key an app can write 32,000 events
 * and 32,000 deliveries a second — an event that runs a workflow beside its subscription makes
 * two — and a list queries 32 partitions at once. Entries written under fewer shards are still
 * read: their shards are among these.
 */
export const SHARDS = 32;
