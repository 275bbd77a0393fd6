import type { Clock } from "../clock.ts";
import type { EventDefinition } from "../model.ts";
import type { DefinitionStore } from "../ports.ts";
import { CONFIGURATION_CACHE_MS, expiringCache } from "./expiring-cache.ts";

/** How the trigger finds a definition: by slug, or by name. */
export type DefinitionLookup = Pick<DefinitionStore, "getDefinition" | "findDefinitionByName">;

/**
 * Reads event definitions through a per-container cache that keeps each one found for 4 s
 * (`CONFIGURATION_CACHE_MS`): a burst of triggers of one event reads its definition once, and a
 * change (a new sample, `strict`, a delete) applies within SPEC §2's 5 s. A definition not found is not
 * kept, so one created a moment ago is found at once.
 */
export function cachedDefinitions(
  store: DefinitionLookup,
  clock: Clock,
  ttlMs = CONFIGURATION_CACHE_MS,
): DefinitionLookup {
  const found = (definition: EventDefinition | null) => definition !== null;
  const bySlug = expiringCache(
    (appId, slug) => store.getDefinition(appId, slug),
    clock,
    ttlMs,
    found,
  );
  const byName = expiringCache(
    (appId, name) => store.findDefinitionByName(appId, name),
    clock,
    ttlMs,
    found,
  );
  return {
    getDefinition: (appId, slug) => bySlug.get(appId, slug),
    findDefinitionByName: (appId, name) => byName.get(appId, name),
  };
}
