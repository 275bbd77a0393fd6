/**
 * What DynamoDB, SQS and EventBridge bill for one operation, as pure arithmetic on what the
 * operation touched: item sizes, write units of a table and of each global secondary index,
 * read units, 64 KB request chunks. `capacity-meter.ts` feeds it what the emulators did; the
 * unit tests feed it by hand.
 */

/** A DynamoDB attribute value as it travels on the wire and as dynalite stores it. */
export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] }
  | { BOOL: boolean }
  | { NULL: boolean }
  | { L: AttributeValue[] }
  | { M: Item };

export type Item = Record<string, AttributeValue>;

/** The parts of a table's description the arithmetic reads (DescribeTable's shape). */
export interface TableShape {
  TableName?: string;
  KeySchema: KeyElement[];
  GlobalSecondaryIndexes?: IndexShape[];
  LocalSecondaryIndexes?: IndexShape[];
}

export interface KeyElement {
  AttributeName: string;
  KeyType: string;
}

export interface IndexShape {
  IndexName: string;
  KeySchema: KeyElement[];
  Projection?: { ProjectionType?: string; NonKeyAttributes?: string[] };
}

/** Where a write unit lands: the table or an index, and the partition key value it hits. */
export interface WriteCharge {
  /** `table`, or the index's name. */
  target: string;
  /** The partition key's value (stringified), or `(unknown)` when the write had no key. */
  partition: string;
  units: number;
}

const KB = 1024;
const READ_BLOCK = 4 * KB;
const REQUEST_CHUNK = 64 * KB;
/** The target name of the base table in every charge. */
export const TABLE_TARGET = "table";

/**
 * An item's size as DynamoDB counts it: each attribute's name (UTF-8 bytes) plus its value.
 * Strings and binaries by their bytes; numbers about one byte per two significant digits plus
 * one; booleans and nulls one; lists and maps 3 bytes plus one per element; sets the sum of
 * their elements. The same rules as dynalite's `itemSize`, but strings and names in UTF-8 bytes
 * where dynalite counts UTF-16 code units.
 */
export function itemBytes(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    size += Buffer.byteLength(name) + valueBytes(value);
  }
  return size;
}

function valueBytes(value: AttributeValue): number {
  if ("S" in value) return Buffer.byteLength(value.S);
  if ("N" in value) return numberBytes(value.N);
  if ("B" in value) return Buffer.from(value.B, "base64").length;
  if ("SS" in value) return value.SS.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  if ("NS" in value) return value.NS.reduce((sum, text) => sum + numberBytes(text), 0);
  if ("BS" in value) {
    return value.BS.reduce((sum, data) => sum + Buffer.from(data, "base64").length, 0);
  }
  if ("L" in value) return 3 + value.L.reduce((sum, element) => sum + 1 + valueBytes(element), 0);
  if ("M" in value) return 3 + Object.keys(value.M).length + itemBytes(value.M);
  return 1; // BOOL, NULL
}

/**
 * A number's stored size: its significant digits two to a byte, one more byte, one more when
 * the digits and the exponent are both even (the pairing then leaves a byte half used), and one
 * for a minus sign. Zero is one byte. The rule dynalite measured against DynamoDB.
 */
function numberBytes(text: string): number {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!match) return text.length;
  const [, sign, whole = "", fraction = ""] = match;
  let digits = whole + fraction;
  let exponent = whole.length - 1 + Number(match[4] ?? 0);
  const leadingZeros = /^0*/.exec(digits)?.[0].length ?? 0;
  digits = digits.slice(leadingZeros).replace(/0+$/, "");
  exponent -= leadingZeros;
  if (digits.length === 0) return 1;
  const evenPairing = digits.length % 2 === 0 && exponent % 2 === 0;
  return 1 + Math.ceil(digits.length / 2) + (evenPairing ? 1 : 0) + (sign === "-" ? 1 : 0);
}

/** Write units of a write of this many bytes: one per started KB, at least one. */
export function writeUnitsFor(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / KB));
}

/**
 * Read units of reading this many bytes in one read: one per started 4 KB (at least one, as
 * DynamoDB charges a read that finds nothing), halved when eventually consistent.
 */
export function readUnitsFor(bytes: number, consistent: boolean): number {
  return Math.max(1, Math.ceil(bytes / READ_BLOCK)) * (consistent ? 1 : 0.5);
}

/** SQS bills a request per started 64 KB of its payload, at least one. */
export function sqsRequestsFor(payloadBytes: number): number {
  return Math.max(1, Math.ceil(payloadBytes / REQUEST_CHUNK));
}

/** EventBridge bills each PutEvents entry per started 64 KB, at least one. */
export function eventBridgeEventsFor(entryBytes: number): number {
  return Math.max(1, Math.ceil(entryBytes / REQUEST_CHUNK));
}

/** A PutEvents entry's size as EventBridge computes it: its time (14 bytes) and its texts. */
export function putEventsEntryBytes(entry: {
  Time?: unknown;
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
}): number {
  const texts = [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])];
  return (
    (entry.Time === undefined ? 0 : 14) +
    texts.reduce((sum, text) => sum + (text ? Buffer.byteLength(text) : 0), 0)
  );
}

/**
 * What a successful write of one item costs, on the table and on each global secondary index:
 * the table 1 WU per started KB of the larger of the old and new item (a delete of a missing
 * item 1); an index 0 when nothing it projects changed, 1 put or 1 delete when the entry
 * appears or goes, a delete and a put when its key changed, one write of the larger entry
 * otherwise. A transactional write costs double. `key` names the item when neither old nor new
 * exists (a delete of a missing item).
 */
export function writeCharges(
  table: TableShape,
  oldItem: Item | undefined,
  newItem: Item | undefined,
  options: { key?: Item; transactional?: boolean } = {},
): WriteCharge[] {
  const factor = options.transactional ? 2 : 1;
  const partitionName = partitionKeyOf(table.KeySchema);
  const anyItem = newItem ?? oldItem ?? options.key;
  const tableBytes = Math.max(oldItem ? itemBytes(oldItem) : 0, newItem ? itemBytes(newItem) : 0);
  const charges: WriteCharge[] = [
    {
      target: TABLE_TARGET,
      partition: keyText(anyItem, partitionName),
      units: writeUnitsFor(tableBytes) * factor,
    },
  ];
  const tableKeys = table.KeySchema.map((key) => key.AttributeName);
  for (const index of table.GlobalSecondaryIndexes ?? []) {
    for (const charge of indexCharges(index, tableKeys, oldItem, newItem)) {
      charges.push({ ...charge, units: charge.units * factor });
    }
  }
  return charges;
}

/** A failed conditional write: 1 WU on the table, nothing on the indexes. */
export function failedConditionCharge(table: TableShape | undefined, item?: Item): WriteCharge {
  const partition = table ? keyText(item, partitionKeyOf(table.KeySchema)) : "(unknown)";
  return { target: TABLE_TARGET, partition, units: 1 };
}

/** One index's writes for an item going from `oldItem` to `newItem`. */
export function indexCharges(
  index: IndexShape,
  tableKeys: readonly string[],
  oldItem: Item | undefined,
  newItem: Item | undefined,
): WriteCharge[] {
  const before = oldItem && indexEntry(index, tableKeys, oldItem);
  const after = newItem && indexEntry(index, tableKeys, newItem);
  const partitionName = partitionKeyOf(index.KeySchema);
  const charge = (entry: Item, bytes: number): WriteCharge => ({
    target: index.IndexName,
    partition: keyText(entry, partitionName),
    units: writeUnitsFor(bytes),
  });
  if (!before && !after) return [];
  if (!before && after) return [charge(after, itemBytes(after))];
  if (before && !after) return [charge(before, itemBytes(before))];
  if (!before || !after) return []; // unreachable; narrows the types
  const keyNames = index.KeySchema.map((key) => key.AttributeName);
  if (!sameAttributes(before, after, keyNames)) {
    return [charge(before, itemBytes(before)), charge(after, itemBytes(after))];
  }
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  if (sameAttributes(before, after, [...names])) return [];
  return [charge(after, Math.max(itemBytes(before), itemBytes(after)))];
}

/**
 * The index's entry for an item: undefined when the item lacks one of the index's key
 * attributes (the index is sparse), otherwise what the projection keeps: everything (`ALL`),
 * the table's and the index's keys (`KEYS_ONLY`), or those and the `NonKeyAttributes`
 * (`INCLUDE`).
 */
export function indexEntry(
  index: IndexShape,
  tableKeys: readonly string[],
  item: Item,
): Item | undefined {
  const indexKeys = index.KeySchema.map((key) => key.AttributeName);
  if (indexKeys.some((name) => item[name] === undefined)) return undefined;
  const projection = index.Projection?.ProjectionType ?? "ALL";
  if (projection === "ALL") return item;
  const kept = [
    ...tableKeys,
    ...indexKeys,
    ...(projection === "INCLUDE" ? (index.Projection?.NonKeyAttributes ?? []) : []),
  ];
  const entry: Item = {};
  for (const name of kept) {
    const value = item[name];
    if (value !== undefined) entry[name] = value;
  }
  return entry;
}

function sameAttributes(a: Item, b: Item, names: readonly string[]): boolean {
  return names.every((name) => canonical(a[name]) === canonical(b[name]));
}

/** JSON with map keys sorted, so two equal values compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) =>
    field && typeof field === "object" && !Array.isArray(field)
      ? Object.fromEntries(
          Object.entries(field as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
        )
      : field,
  );
}

function partitionKeyOf(schema: readonly KeyElement[]): string | undefined {
  return (schema.find((key) => key.KeyType === "HASH") ?? schema[0])?.AttributeName;
}

function keyText(item: Item | undefined, name: string | undefined): string {
  const value = name === undefined ? undefined : item?.[name];
  if (!value) return "(unknown)";
  if ("S" in value) return value.S;
  if ("N" in value) return value.N;
  if ("B" in value) return value.B;
  return JSON.stringify(value);
}

/**
 * A partition key value with its ids and hashes folded into a pattern, so keys of the same
 * shape read alike: `APP#app_01J…#DLV#pending` → `APP#app_…#DLV#pending`, `KEY#<sha256>` →
 * `KEY#…`.
 */
export function keyPattern(value: string): string {
  return value
    .replace(/\b([a-z]+_)[0-9A-HJKMNP-TV-Z]{26}[0-9A-HJKMNP-TV-Z]*/g, "$1…")
    .replace(/\b[0-9A-HJKMNP-TV-Z]{26}\b/g, "…")
    .replace(/\b[0-9a-f]{32,}\b/g, "…")
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g, "<time>");
}

/**
 * What kind of item this is, for splitting the bill: its `kind` attribute when it has one,
 * else its sort key up to the first `#` (`DLV#msg_…` → `DLV#…`), else `(no kind)`.
 */
export function itemKind(item: Item | undefined, table: TableShape | undefined): string {
  const kind = item?.kind;
  if (kind && "S" in kind) return kind.S;
  const sortName = table?.KeySchema.find((key) => key.KeyType === "RANGE")?.AttributeName;
  const sort = sortName === undefined ? undefined : item?.[sortName];
  if (sort && "S" in sort) return sort.S.includes("#") ? `${sort.S.split("#")[0]}#…` : sort.S;
  return "(no kind)";
}
