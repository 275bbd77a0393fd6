import type { DeliveryStatus } from "../../core/schemas.ts";
import { SHARDS } from "./table-definition.ts";

/** The partition of one event's deliveries. */
export const eventDeliveriesPartition = (eventId: string) => `EVT#${eventId}`;

const EVENT_LOG_PREFIX = (appId: string) => `EVENTS#${appId}`;

/**
 * An event's key: in its app's event log, on one of `SHARDS` partitions chosen by a hash of
 * its id, so the log takes an app's events at 32 times one partition's write rate and is read
 * in time order by merging its shards (event ids are ULIDs).
 */
export function eventKey(appId: string, eventId: string) {
  return { PK: shardPartition(EVENT_LOG_PREFIX(appId), eventId), SK: eventId };
}

/** Every shard's partition of an app's event log. */
export const eventLogPartitions = (appId: string) => listPartitions(EVENT_LOG_PREFIX(appId));

/** A delivery id starts with its event's ULID (`msg_<event ULID><suffix>`). */
function eventIdOf(deliveryId: string): string {
  return `evt_${deliveryId.slice(4, 30)}`;
}

/** A delivery's key: in its event's partition. */
export function deliveryKey(deliveryId: string) {
  return { PK: eventDeliveriesPartition(eventIdOf(deliveryId)), SK: `DLV#${deliveryId}` };
}

/**
 * The shard of a delivery's index entries, or of an event in the log: FNV-1a of its id. Every
 * character counts, since one subscription's deliveries share their id's last characters and
 * one event's its first, and ids of one millisecond share all but their random part.
 */
export function shardOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < id.length; index++) {
    hash ^= id.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % SHARDS;
}

/** What the partitions of each sharded list start with: bound to the app. */
export const LIST_PREFIX = {
  all: (appId: string) => appId,
  target: (appId: string, targetId: string) => `${appId}#${targetId}`,
  status: (appId: string, status: DeliveryStatus) => `${appId}#${status}`,
};

/** Every shard's partition of one list. */
export function listPartitions(prefix: string): string[] {
  return Array.from({ length: SHARDS }, (_, shard) => `${prefix}#${shard}`);
}

/** The shard's partition of a list that an entry goes to. */
export function shardPartition(prefix: string, id: string): string {
  return `${prefix}#${shardOf(id)}`;
}

/**
 * The status index's partition for a delivery in `status`, or undefined for a status the
 * index does not hold.
 */
export function statusPartition(
  appId: string,
  status: DeliveryStatus,
  deliveryId: string,
): string | undefined {
  return INDEXED_STATUSES.includes(status)
    ? shardPartition(LIST_PREFIX.status(appId, status), deliveryId)
    : undefined;
}

/**
 * Statuses the status index holds. A pending or succeeded delivery is found through the
 * app-wide index, which it is in anyway: indexing those too would add writes to every
 * delivery's success path; failed, dead-lettered and discarded ones are few and looked for.
 */
export const INDEXED_STATUSES: readonly DeliveryStatus[] = ["failed", "dead_lettered", "discarded"];
