import { API_KEY_PATTERN, hashApiKey, newApiKey } from "../api-keys.ts";
import type { Clock } from "../clock.ts";
import { BadRequest } from "../errors.ts";
import { newId } from "../ids.ts";
import type { App } from "../model.ts";
import type { AppStore } from "../ports.ts";
import { name as appName } from "../schemas.ts";
import { parseInput } from "../validation.ts";

/**
 * Creates an app and its API key — a new one, or the one given (the local runtime's
 * SWITCHYARD_API_KEY). The key is answered this once: only its hash is stored.
 */
export async function createApp(
  store: AppStore,
  name: string,
  clock: Clock,
  apiKey: string = newApiKey(),
): Promise<{ app: App; apiKey: string }> {
  const validName = parseInput(appName, name, "name");
  if (!API_KEY_PATTERN.test(apiKey)) {
    throw new BadRequest("an API key is sk_ followed by 43 base64url characters");
  }
  const now = clock.now();
  const app: App = {
    id: newId("app", now.getTime()),
    name: validName,
    created_at: now.toISOString(),
  };
  await store.createApp(app, hashApiKey(apiKey));
  return { app, apiKey };
}
