import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, describe, expect, it } from "vitest";
import { serveEmulatorsInThread } from "../../../../local/emulators/threaded.ts";

const dataDirs: string[] = [];
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** Whether a TCP connection to 127.0.0.1:port is accepted. */
const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

const credentials = { accessKeyId: "local", secretAccessKey: "local" };

describe("the emulator thread", () => {
  it("serves dynalite and fauxqs on loopback from a worker thread, and stops them", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "switchyard-emulators-"));
    dataDirs.push(dataDir);
    const errors: unknown[] = [];

    const servers = await serveEmulatorsInThread(dataDir, (error) => errors.push(error));

    expect(new URL(servers.dynamoEndpoint).hostname).toBe("127.0.0.1");
    expect(new URL(servers.sqsEndpoint).hostname).toBe("127.0.0.1");
    const dynamo = new DynamoDBClient({
      region: "us-east-1",
      endpoint: servers.dynamoEndpoint,
      credentials,
    });
    const sqs = new SQSClient({ region: "us-east-1", endpoint: servers.sqsEndpoint, credentials });
    expect((await dynamo.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).toEqual([]);
    dynamo.destroy();
    sqs.destroy();

    await servers.stop();

    expect(await accepts(Number(new URL(servers.dynamoEndpoint).port))).toBe(false);
    expect(await accepts(Number(new URL(servers.sqsEndpoint).port))).toBe(false);
    expect(errors).toEqual([]); // a stop asked for is not a thread that died
  });

  it("fails to start, and says why, when the data dir cannot hold the emulators' files", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "switchyard-emulators-"));
    dataDirs.push(dataDir);
    const blocked = join(dataDir, "file");
    writeFileSync(blocked, "");

    await expect(serveEmulatorsInThread(blocked, () => {})).rejects.toThrow(
      /ENOTDIR|EEXIST|not a directory/i,
    );
  });
});
