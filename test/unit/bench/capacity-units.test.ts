import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import {
  eventBridgeEventsFor,
  failedConditionCharge,
  type IndexShape,
  type Item,
  indexCharges,
  itemBytes,
  itemKind,
  keyPattern,
  putEventsEntryBytes,
  readUnitsFor,
  sqsRequestsFor,
  type TableShape,
  writeCharges,
  writeUnitsFor,
} from "../../../bench/capacity-units.ts";

const dynaliteDb = createRequire(import.meta.url)("dynalite/db") as {
  itemSize(item: Item): number;
};

const hashRange = (hash: string, range: string) => [
  { AttributeName: hash, KeyType: "HASH" },
  { AttributeName: range, KeyType: "RANGE" },
];
const byStatus: IndexShape = {
  IndexName: "ByStatus",
  KeySchema: hashRange("statusKey", "id"),
  Projection: { ProjectionType: "KEYS_ONLY" },
};
const byOwner: IndexShape = {
  IndexName: "ByOwner",
  KeySchema: hashRange("owner", "id"),
  Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: ["title"] },
};
const everything: IndexShape = {
  IndexName: "Everything",
  KeySchema: hashRange("owner", "id"),
  Projection: { ProjectionType: "ALL" },
};
const table: TableShape = {
  TableName: "t",
  KeySchema: hashRange("PK", "SK"),
  GlobalSecondaryIndexes: [byStatus, byOwner],
};
const tableKeys = ["PK", "SK"];

/** An item of about `bytes` bytes, its bulk in a `body` attribute. */
function doc(fields: Record<string, string>, bytes = 0): Item {
  const item: Item = { PK: { S: "APP#a" }, SK: { S: "DOC#1" }, kind: { S: "doc" } };
  for (const [name, value] of Object.entries(fields)) item[name] = { S: value };
  if (bytes > 0) item.body = { S: "x".repeat(bytes - itemBytes(item) - 4) };
  return item;
}

describe("item sizes", () => {
  it("are DynamoDB's: names and values, as dynalite measures them for ASCII", () => {
    const items: Item[] = [
      { PK: { S: "APP#app_1" }, n: { N: "0" } },
      { a: { N: "123" }, b: { N: "-1.5" }, c: { N: "1200" }, d: { N: "0.0042" }, e: { N: "1e5" } },
      { a: { N: "12" }, b: { N: "12.5" }, c: { N: "-99999999999" } },
      { l: { L: [{ S: "ab" }, { N: "7" }, { BOOL: true }, { NULL: true }] } },
      { m: { M: { inner: { S: "value" }, deep: { M: { x: { N: "3" } } } } } },
      { ss: { SS: ["a", "bb"] }, ns: { NS: ["1", "22"] }, b: { B: "aGVsbG8=" } },
    ];
    for (const item of items)
      expect(itemBytes(item), JSON.stringify(item)).toBe(dynaliteDb.itemSize(item));
  });

  it("count strings in UTF-8 bytes, as DynamoDB does", () => {
    expect(itemBytes({ name: { S: "é" } })).toBe(4 + 2);
  });
});

describe("write units", () => {
  it("are one per started KB, at least one", () => {
    expect(writeUnitsFor(0)).toBe(1);
    expect(writeUnitsFor(1024)).toBe(1);
    expect(writeUnitsFor(1025)).toBe(2);
  });

  it("on the table follow the larger of the old and the new item", () => {
    const [shrunk] = writeCharges(table, doc({}, 3000), doc({}, 500));
    expect(shrunk).toEqual({ target: "table", partition: "APP#a", units: 3 });
    const [grown] = writeCharges(table, doc({}, 500), doc({}, 2100));
    expect(grown?.units).toBe(3);
  });

  it("cost 1 to delete a missing item, charged to the key's partition", () => {
    const charges = writeCharges(table, undefined, undefined, {
      key: { PK: { S: "APP#b" }, SK: { S: "DOC#9" } },
    });
    expect(charges).toEqual([{ target: "table", partition: "APP#b", units: 1 }]);
  });

  it("double in a transaction", () => {
    const charges = writeCharges(
      table,
      undefined,
      doc({ statusKey: "open", owner: "o", id: "1" }, 1500),
      {
        transactional: true,
      },
    );
    expect(charges.map((charge) => charge.units)).toEqual([4, 2, 2]);
  });

  it("are 1 on the table for a failed conditional write, nothing on the indexes", () => {
    expect(failedConditionCharge(table, doc({ statusKey: "open" }))).toEqual({
      target: "table",
      partition: "APP#a",
      units: 1,
    });
  });
});

describe("index writes", () => {
  it("are a put when the entry appears and a delete when it goes (a sparse index)", () => {
    const without = doc({});
    const withKey = doc({ statusKey: "open", id: "1" });
    expect(indexCharges(byStatus, tableKeys, without, withKey)).toEqual([
      { target: "ByStatus", partition: "open", units: 1 },
    ]);
    expect(indexCharges(byStatus, tableKeys, withKey, without)).toEqual([
      { target: "ByStatus", partition: "open", units: 1 },
    ]);
    expect(indexCharges(byStatus, tableKeys, without, doc({ other: "x" }))).toEqual([]);
  });

  it("are a delete and a put when the index key changes", () => {
    const charges = indexCharges(
      byStatus,
      tableKeys,
      doc({ statusKey: "open", id: "1" }),
      doc({ statusKey: "closed", id: "1" }),
    );
    expect(charges).toEqual([
      { target: "ByStatus", partition: "open", units: 1 },
      { target: "ByStatus", partition: "closed", units: 1 },
    ]);
  });

  it("are none when nothing the index projects changed (KEYS_ONLY)", () => {
    const before = doc({ statusKey: "open", id: "1", note: "a" }, 3000);
    const after = doc({ statusKey: "open", id: "1", note: "b" }, 3000);
    expect(indexCharges(byStatus, tableKeys, before, after)).toEqual([]);
  });

  it("are one write of the larger entry when a projected attribute changed (ALL)", () => {
    const before = doc({ owner: "o", id: "1", note: "a" }, 3000);
    const after = doc({ owner: "o", id: "1", note: "b" }, 1000);
    expect(indexCharges(everything, tableKeys, before, after)).toEqual([
      { target: "Everything", partition: "o", units: 3 },
    ]);
  });

  it("follow an INCLUDE projection: its included attributes count, the others do not", () => {
    const before = doc({ owner: "o", id: "1", title: "t1" }, 5000);
    const titled = { ...before, title: { S: "t2" } };
    const noted = { ...before, note: { S: "changed" } };
    // The 5 KB body is not projected: the entry is the keys and the title, under 1 KB.
    expect(indexCharges(byOwner, tableKeys, before, titled)).toEqual([
      { target: "ByOwner", partition: "o", units: 1 },
    ]);
    expect(indexCharges(byOwner, tableKeys, before, noted)).toEqual([]);
  });

  it("add up with the table's for a new item in every index", () => {
    const charges = writeCharges(table, undefined, doc({ statusKey: "open", owner: "o", id: "1" }));
    expect(charges.map((charge) => [charge.target, charge.units])).toEqual([
      ["table", 1],
      ["ByStatus", 1],
      ["ByOwner", 1],
    ]);
  });
});

describe("read units", () => {
  it("are one per started 4 KB when strongly consistent, half that when eventually", () => {
    expect(readUnitsFor(4096, true)).toBe(1);
    expect(readUnitsFor(4097, true)).toBe(2);
    expect(readUnitsFor(4097, false)).toBe(1);
    expect(readUnitsFor(100, false)).toBe(0.5);
  });

  it("are charged for a read that finds nothing", () => {
    expect(readUnitsFor(0, true)).toBe(1);
    expect(readUnitsFor(0, false)).toBe(0.5);
  });
});

describe("SQS and EventBridge", () => {
  it("bill a request or an entry per started 64 KB", () => {
    expect(sqsRequestsFor(0)).toBe(1);
    expect(sqsRequestsFor(65_536)).toBe(1);
    expect(sqsRequestsFor(65_537)).toBe(2);
    expect(eventBridgeEventsFor(200_000)).toBe(4);
  });

  it("size a PutEvents entry by its time, source, detail type, detail and resources", () => {
    const entry = { Source: "ab", DetailType: "cd", Detail: '{"é":1}', Resources: ["r"] };
    expect(putEventsEntryBytes(entry)).toBe(2 + 2 + 8 + 1);
    expect(putEventsEntryBytes({ ...entry, Time: new Date() })).toBe(14 + 13);
  });
});

describe("labels", () => {
  it("fold ids, hashes and times of partition keys into a pattern", () => {
    expect(keyPattern("APP#app_01J0ABCDEFGHJKMNPQRSTVWXYZ#DLV#pending")).toBe(
      "APP#app_…#DLV#pending",
    );
    expect(
      keyPattern("APP#app_01J0ABCDEFGHJKMNPQRSTVWXYZ#TGT#sub_01J0ABCDEFGHJKMNPQRSTVWXY1"),
    ).toBe("APP#app_…#TGT#sub_…");
    expect(keyPattern(`KEY#${"ab12".repeat(16)}`)).toBe("KEY#…");
  });

  it("name an item's kind by its kind attribute, else its sort key's first segment", () => {
    expect(itemKind(doc({}), table)).toBe("doc");
    expect(itemKind({ PK: { S: "a" }, SK: { S: "ATT#msg_1#2" } }, table)).toBe("ATT#…");
    expect(itemKind({ PK: { S: "a" }, SK: { S: "APP" } }, table)).toBe("APP");
    expect(itemKind({ PK: { S: "a" } }, undefined)).toBe("(no kind)");
  });
});
