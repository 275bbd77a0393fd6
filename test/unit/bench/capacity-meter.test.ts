import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import {
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import dynalite from "dynalite";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CapacityMeter } from "../../../bench/capacity-meter.ts";
import { total } from "../../../bench/tally.ts";
import { deliveryQueueSettings } from "../../../functions/core/delivery-settings.ts";
import { type LocalSqs, startSqs } from "../../../local/emulators/sqs.ts";

const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const region = "us-east-1";
const TABLE = "metered";

/**
 * The meter installed in this process, over real emulators: dynalite with a table whose indexes
 * project KEYS_ONLY and INCLUDE (a layout the meter must read, not assume), fauxqs, and a
 * stand-in EventBridge endpoint.
 */
describe("the capacity meter", () => {
  const meter = new CapacityMeter();
  let dynamoServer: Server;
  let dynamo: DynamoDBClient;
  let sqs: LocalSqs;
  let dataDir: string;
  let bus: Server;

  beforeAll(async () => {
    meter.install();
    dynamoServer = dynalite({ createTableMs: 0 }) as Server;
    dynamo = new DynamoDBClient({ region, credentials, endpoint: await listen(dynamoServer) });
    await dynamo.send(
      new CreateTableCommand({
        TableName: TABLE,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: ["PK", "SK", "status", "owner"].map((name) => ({
          AttributeName: name,
          AttributeType: "S",
        })),
        KeySchema: [
          { AttributeName: "PK", KeyType: "HASH" },
          { AttributeName: "SK", KeyType: "RANGE" },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: "ByStatus",
            KeySchema: [{ AttributeName: "status", KeyType: "HASH" }],
            Projection: { ProjectionType: "KEYS_ONLY" },
          },
          {
            IndexName: "ByOwner",
            KeySchema: [{ AttributeName: "owner", KeyType: "HASH" }],
            Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: ["title"] },
          },
        ],
      }),
    );
    dataDir = mkdtempSync(join(tmpdir(), "switchyard-meter-"));
    sqs = await startSqs(
      dataDir,
      deliveryQueueSettings({ maxRetries: 3, retryBaseSeconds: 30, deliveryTimeoutSeconds: 10 }),
    );
    bus = createServer((_request, response) => {
      response.setHeader("content-type", "application/x-amz-json-1.1");
      response.end(JSON.stringify({ FailedEntryCount: 0, Entries: [{ EventId: "1" }] }));
    });
    await listen(bus);
  });

  afterAll(async () => {
    meter.uninstall();
    dynamo?.destroy();
    await new Promise((resolve) => dynamoServer?.close(resolve));
    await sqs?.stop();
    await new Promise((resolve) => bus?.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(() => meter.reset());

  const put = (item: Record<string, string>, condition?: string) =>
    dynamo.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: Object.fromEntries(Object.entries(item).map(([name, value]) => [name, { S: value }])),
        ConditionExpression: condition,
      }),
    );
  const key = (sk: string) => ({ PK: { S: "APP#a" }, SK: { S: sk } });

  it("charges a write on the table and on each index the layout gives it", async () => {
    await put({ PK: "APP#a", SK: "DOC#1", kind: "doc", status: "open", owner: "o", title: "t" });
    expect(meter.snapshot()).toEqual(
      new Map([
        ["wu\ttable\tdoc", 1],
        ["wu\tByStatus\tdoc", 1],
        ["wu\tByOwner\tdoc", 1],
        ["pk\ttable\tAPP#a", 1],
        ["pk\tByStatus\topen", 1],
        ["pk\tByOwner\to", 1],
        ["call\tDynamoDB PutItem", 1],
      ]),
    );
  });

  it("charges a moved index key twice and an unprojected change nothing", async () => {
    await put({ PK: "APP#a", SK: "DOC#2", kind: "doc", status: "open", owner: "o", title: "t" });
    meter.reset();
    await dynamo.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: key("DOC#2"),
        UpdateExpression: "SET #status = :closed, note = :note",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":closed": { S: "closed" }, ":note": { S: "n" } },
      }),
    );
    expect(total(meter.tally, "wu", "table")).toBe(1);
    expect(total(meter.tally, "wu", "ByStatus")).toBe(2);
    expect(total(meter.tally, "pk", "ByStatus\topen")).toBe(1);
    expect(total(meter.tally, "pk", "ByStatus\tclosed")).toBe(1);
    expect(total(meter.tally, "wu", "ByOwner")).toBe(0);
  });

  it("charges a failed conditional write 1 on the table and a delete of nothing 1", async () => {
    await put({ PK: "APP#a", SK: "DOC#3", kind: "doc" });
    meter.reset();
    await expect(
      put({ PK: "APP#a", SK: "DOC#3", kind: "doc" }, "attribute_not_exists(PK)"),
    ).rejects.toThrow();
    expect(total(meter.tally, "failed")).toBe(1);
    expect(total(meter.tally, "wu")).toBe(1);
    await dynamo.send(new DeleteItemCommand({ TableName: TABLE, Key: key("DOC#missing") }));
    expect(total(meter.tally, "pk", "table\tAPP#a")).toBe(2);
  });

  it("charges reads by their size and consistency, a Query by what it evaluated", async () => {
    await put({ PK: "APP#b", SK: "DOC#1", kind: "doc", body: "x".repeat(5_000) });
    await put({ PK: "APP#b", SK: "DOC#2", kind: "doc", body: "x".repeat(5_000) });
    meter.reset();
    await dynamo.send(
      new GetItemCommand({ TableName: TABLE, Key: { PK: { S: "APP#b" }, SK: { S: "DOC#1" } } }),
    );
    expect(total(meter.tally, "ru")).toBe(1); // 5 KB: two 4 KB blocks, eventually consistent
    meter.reset();
    await dynamo.send(
      new GetItemCommand({ TableName: TABLE, Key: key("DOC#none"), ConsistentRead: true }),
    );
    expect(total(meter.tally, "ru")).toBe(1);
    meter.reset();
    const { Items = [], ConsumedCapacity } = await dynamo.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: "PK = :pk",
        FilterExpression: "kind = :none",
        ExpressionAttributeValues: { ":pk": { S: "APP#b" }, ":none": { S: "none" } },
      }),
    );
    // Both items evaluated (10 KB: three blocks) though the filter returned neither; the answer
    // carries no consumed capacity the caller did not ask for.
    expect(Items).toHaveLength(0);
    expect(ConsumedCapacity).toBeUndefined();
    expect(meter.snapshot().get("ru\tQuery table")).toBe(1.5);
  });

  it("counts SQS requests as billed and receives with messages apart from empty ones", async () => {
    const client = new SQSClient({ region, credentials, endpoint: sqs.endpoint });
    const QueueUrl = sqs.queues.delivery.url;
    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: "x".repeat(70_000) }));
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }),
    );
    await client.send(
      new DeleteMessageCommand({ QueueUrl, ReceiptHandle: Messages[0]?.ReceiptHandle }),
    );
    await client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0 }));
    client.destroy();
    expect(total(meter.tally, "sqs", "SendMessage")).toBe(2); // 70 KB: two 64 KB chunks
    expect(total(meter.tally, "sqs", "ReceiveMessage")).toBe(2);
    expect(total(meter.tally, "sqs", "DeleteMessage")).toBe(1);
    expect(total(meter.tally, "receive", "messages")).toBe(1);
    expect(total(meter.tally, "receive", "empty")).toBe(1);
  });

  it("charges the local bus's batched hand-off to a rule's queue as EventBridge's, a request an event", async () => {
    const client = new SQSClient({ region, credentials, endpoint: sqs.endpoint });
    const [target] = [...sqs.queues.busTargets.values()];
    const entries = ["a", "b", "c"].map((body, index) => ({
      Id: String(index),
      MessageBody: body,
    }));
    await client.send(
      new SendMessageBatchCommand({ QueueUrl: target?.queue.url, Entries: entries }),
    );
    await client.send(
      new SendMessageBatchCommand({ QueueUrl: sqs.queues.delivery.url, Entries: entries }),
    );
    client.destroy();
    expect(total(meter.tally, "sqs", "SendMessage (EventBridge to its target)")).toBe(3);
    expect(total(meter.tally, "sqs", "SendMessageBatch")).toBe(1);
  });

  it("counts PutEvents entries, Lambda invocations and API requests", async () => {
    const client = new EventBridgeClient({ region, credentials, endpoint: address(bus) });
    await client.send(
      new PutEventsCommand({ Entries: [{ Source: "s", DetailType: "d", Detail: "{}" }] }),
    );
    client.destroy();
    new Logger({ serviceName: "t" }).addContext({ functionName: "switchyard-fanout" } as never);
    meter.apiPort = Number(new URL(address(bus)).port);
    await fetch(`${address(bus)}/api/v2/events`);
    await fetch(`${address(bus)}/health`);
    expect(total(meter.tally, "eb", "entries")).toBe(1);
    expect(total(meter.tally, "lambda", "fanout")).toBe(1);
    expect(total(meter.tally, "api")).toBe(1);
  });

  it("puts every hook back when uninstalled", () => {
    const other = new CapacityMeter().install();
    other.uninstall();
    expect(Object.hasOwn(SQSClient.prototype, "send")).toBe(true); // this suite's meter's
    meter.uninstall();
    expect(Object.hasOwn(SQSClient.prototype, "send")).toBe(false);
    expect(Object.hasOwn(Logger.prototype, "addContext")).toBe(true);
    meter.install();
  });
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return address(server);
}

function address(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
