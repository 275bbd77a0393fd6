import { hashApiKey, newApiKey } from "../api-keys.ts";
import type { Clock } from "../clock.ts";
import { newId } from "../ids.ts";
import type { App } from "../model.ts";
import type { AppStore } from "../ports.ts";
import { name as appName } from "../schemas.ts";
import { parseInput } from "../validation.ts";

/**
 * Creates an app and its API key. The key is answered this once: only its hash is stored.
 */
export async function createApp(
  store: AppStore,
  name: string,
  clock: Clock,
): Promise<{ app: App; apiKey: string }> {
  const validName = parseInput(appName, name, "name");
  const now = clock.now();
  const app: App = {
    id: newId("app", now.getTime()),
    name: validName,
    created_at: now.toISOString(),
  };
  const apiKey = newApiKey();
  await store.createApp(app, hashApiKey(apiKey));
  return { app, apiKey };
}
