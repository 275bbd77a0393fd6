import { resolve } from "node:path";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { storeFor } from "../../functions/adapters/deployment/store.ts";
import { type Config, loadConfig } from "../../functions/config.ts";
import { systemClock } from "../../functions/core/clock.ts";
import { createApp } from "../../functions/core/services/apps.ts";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../emulators/credentials.ts";
import { readRunningRuntime } from "../runtime-file.ts";
import { CliError } from "./api-client.ts";

/**
 * `switchyard apps create --name X [--stack S]`: a new app and its API key, shown this once (the
 * table keeps only its hash). Apps are made in the table itself, not through the API (an API
 * key belongs to an app): the local runtime's (its DynamoDB emulator, found through the data
 * dir) or, with `--stack`, the table a deployed stack names in its outputs, with the shell's
 * ordinary AWS credentials.
 */
export async function createAppIn(
  options: { name: string; stack?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
  cloudFormation?: CloudFormationClient,
) {
  const config = options.stack
    ? await stackTable(options.stack, env, cloudFormation)
    : localTable(env);
  const { app, apiKey } = await createApp(storeFor(config), options.name, systemClock);
  return { app_id: app.id, name: app.name, api_key: apiKey };
}

function localTable(env: NodeJS.ProcessEnv): Config {
  const dataDir = resolve(env.SWITCHYARD_DATA_DIR ?? ".switchyard");
  const running = readRunningRuntime(dataDir);
  if (!running?.dynamodbEndpoint || !running.tableName) {
    throw new CliError(
      `Switchyard is not running on ${dataDir}: start it with npm start, or give --stack <name>`,
    );
  }
  const base = loadConfig({});
  return {
    ...base,
    tableName: running.tableName,
    aws: {
      region: LOCAL_REGION,
      endpoints: { dynamodb: running.dynamodbEndpoint },
      credentials: LOCAL_CREDENTIALS,
    },
  };
}

/** The table of a deployed stack: its `TableName` output. */
async function stackTable(
  stack: string,
  env: NodeJS.ProcessEnv,
  client = new CloudFormationClient({}),
): Promise<Config> {
  let outputs: { OutputKey?: string; OutputValue?: string }[];
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stack }));
    outputs = Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    throw new CliError(`cannot read the stack ${stack}: ${(error as Error).message}`);
  }
  const tableName = outputs.find((output) => output.OutputKey === "TableName")?.OutputValue;
  if (!tableName)
    throw new CliError(`the stack ${stack} has no TableName output: is it Switchyard's?`);
  const base = loadConfig(env);
  return { ...base, tableName };
}
