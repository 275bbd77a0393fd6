/**
 * `npm run apps:create -- --name X [--json]`: creates an app in the table the configuration
 * points at (SWITCHYARD_TABLE_NAME, and SWITCHYARD_DYNAMODB_ENDPOINT for an emulator) and
 * prints its API key, which is shown this once.
 */
import { parseArgs } from "node:util";
import { storeFor } from "../../functions/adapters/deployment/store.ts";
import { config } from "../../functions/config.ts";
import { systemClock } from "../../functions/core/clock.ts";
import { HttpError } from "../../functions/core/errors.ts";
import { createApp } from "../../functions/core/services/apps.ts";

const usage = "usage: npm run apps:create -- --name <name> [--json]";

async function main(): Promise<number> {
  let values: { name?: string | undefined; json?: boolean | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      options: {
        name: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (values.name === undefined) {
    console.error(`--name is required\n${usage}`);
    return 2;
  }
  const settings = config();
  const { app, apiKey } = await createApp(storeFor(settings), values.name, systemClock);
  if (values.json) {
    console.log(JSON.stringify({ app_id: app.id, name: app.name, api_key: apiKey }));
  } else {
    console.log(`app_id:  ${app.id}\nname:    ${app.name}\napi_key: ${apiKey}`);
    console.log("\nKeep the key now: it is stored hashed and cannot be shown again.");
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof HttpError ? error.message : error);
    process.exit(1);
  },
);
