import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, describe, expect, it } from "vitest";
import { inProcessClientOptions } from "../../../../local/emulators/in-process.ts";
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

  it("answers SDK clients through its in-process dispatch, unsigned and without a socket", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "switchyard-emulators-"));
    dataDirs.push(dataDir);
    const errors: unknown[] = [];
    const servers = await serveEmulatorsInThread(dataDir, (error) => errors.push(error));
    // The discard port: a client that tried a socket would fail.
    const nowhere = "http://127.0.0.1:9";
    const dynamo = new DynamoDBClient({
      region: "us-east-1",
      endpoint: nowhere,
      credentials,
      ...inProcessClientOptions(servers.dispatch.dynamodb),
    });
    const sqs = new SQSClient({
      region: "us-east-1",
      endpoint: nowhere,
      credentials,
      ...inProcessClientOptions(servers.dispatch.sqs),
    });

    await dynamo.send(
      new CreateTableCommand({
        TableName: "table",
        AttributeDefinitions: [{ AttributeName: "PK", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "PK", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    const put = new PutItemCommand({
      TableName: "table",
      Item: { PK: { S: "a" }, n: { N: "1" } },
      ConditionExpression: "attribute_not_exists(PK)",
    });
    await dynamo.send(put);
    // dynalite's error comes back as the SDK's typed exception, as over HTTP.
    await expect(dynamo.send(put)).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    const { Item } = await dynamo.send(
      new GetItemCommand({ TableName: "table", Key: { PK: { S: "a" } } }),
    );
    expect(Item).toEqual({ PK: { S: "a" }, n: { N: "1" } });

    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "q" }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "hello" }));
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    expect(Messages?.map((message) => message.Body)).toEqual(["hello"]);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
    );
    expect(Attributes?.QueueArn).toBe("arn:aws:sqs:us-east-1:000000000000:q");

    await servers.stop();
    await expect(sqs.send(new ListQueuesCommand({}))).rejects.toThrow(/emulator thread stopped/);
    expect(errors).toEqual([]);
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
