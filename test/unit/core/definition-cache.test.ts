import { describe, expect, it } from "vitest";
import type { EventDefinition } from "../../../functions/core/model.ts";
import { cachedDefinitions } from "../../../functions/core/services/definition-cache.ts";
import { testDefinition } from "../../support/events.ts";
import { fixedClock } from "../../support/harness.ts";

const APP = "app_01HZY00000000000000000000A";

const definition = testDefinition;

/** A definition store that answers from `current` (by slug) and counts its reads. */
function countingStore(current: Map<string, EventDefinition>) {
  const store = {
    reads: 0,
    async getDefinition(_appId: string, slug: string) {
      store.reads++;
      return current.get(slug) ?? null;
    },
    async findDefinitionByName(_appId: string, name: string) {
      store.reads++;
      return [...current.values()].find((found) => found.name === name) ?? null;
    },
  };
  return store;
}

describe("cachedDefinitions", () => {
  it("answers a definition from the cache for 4 s, then as it is now", async () => {
    const current = new Map([["contact_created", definition()]]);
    const store = countingStore(current);
    const clock = fixedClock("2026-11-23T01:28:00.000Z");
    const definitions = cachedDefinitions(store, clock);

    expect((await definitions.getDefinition(APP, "contact_created"))?.strict).toBe(false);
    current.set("contact_created", definition({ strict: true }));
    clock.set("2026-11-23T01:28:03.999Z");
    expect((await definitions.getDefinition(APP, "contact_created"))?.strict).toBe(false);
    expect(await definitions.findDefinitionByName(APP, "Contact Created")).not.toBeNull();
    expect(await definitions.findDefinitionByName(APP, "Contact Created")).not.toBeNull();
    expect(store.reads).toBe(2); // one by slug, one by name

    clock.set("2026-11-23T01:28:04.000Z");
    expect((await definitions.getDefinition(APP, "contact_created"))?.strict).toBe(true);
    expect(store.reads).toBe(3);
  });

  it("does not keep a definition it did not find: one created a moment later is found", async () => {
    const current = new Map<string, EventDefinition>();
    const definitions = cachedDefinitions(countingStore(current), fixedClock());
    expect(await definitions.getDefinition(APP, "contact_created")).toBeNull();
    expect(await definitions.findDefinitionByName(APP, "Contact Created")).toBeNull();
    current.set("contact_created", definition());
    expect(await definitions.getDefinition(APP, "contact_created")).not.toBeNull();
    expect(await definitions.findDefinitionByName(APP, "Contact Created")).not.toBeNull();
  });

  it("keeps definitions apart by app", async () => {
    const store = countingStore(new Map([["contact_created", definition()]]));
    const definitions = cachedDefinitions(store, fixedClock());
    await definitions.getDefinition(APP, "contact_created");
    await definitions.getDefinition("app_01HZY00000000000000000000B", "contact_created");
    expect(store.reads).toBe(2);
  });
});
