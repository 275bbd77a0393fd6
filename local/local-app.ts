import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hashApiKey } from "../functions/core/api-keys.ts";
import type { Clock } from "../functions/core/clock.ts";
import type { AppStore } from "../functions/core/ports.ts";
import { createApp } from "../functions/core/services/apps.ts";

export interface LocalApp {
  appId: string;
  apiKey: string;
  /** Where the key came from: SWITCHYARD_API_KEY, a new one, or the data dir's. */
  origin: "environment" | "generated" | "data dir";
}

const KEY_FILE = "local-app.json";

/**
 * The local runtime's one app, there from the first start: its key is SWITCHYARD_API_KEY when
 * set, else the key kept in the data dir, else a new one, written there (readable by the
 * owner only) so the next start finds it.
 */
export async function ensureLocalApp(
  store: AppStore,
  dataDir: string,
  givenKey: string | undefined,
  clock: Clock,
): Promise<LocalApp> {
  const keyFile = join(dataDir, KEY_FILE);
  const kept = existsSync(keyFile)
    ? (JSON.parse(readFileSync(keyFile, "utf8")) as { api_key: string })
    : undefined;
  const apiKey = givenKey ?? kept?.api_key;
  if (apiKey !== undefined) {
    const app =
      (await store.findAppByKeyHash(hashApiKey(apiKey))) ??
      (await createApp(store, "local", clock, apiKey)).app;
    return { appId: app.id, apiKey, origin: givenKey ? "environment" : "data dir" };
  }
  const created = await createApp(store, "local", clock);
  writeFileSync(
    keyFile,
    `${JSON.stringify({ app_id: created.app.id, api_key: created.apiKey }, null, 2)}\n`,
    { mode: 0o600 },
  );
  return { appId: created.app.id, apiKey: created.apiKey, origin: "generated" };
}
