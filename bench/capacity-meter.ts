/**
 * Counts, on the local runtime running in this process, what AWS would bill for what the
 * handlers actually did: DynamoDB write and read units (from inside dynalite, which sees every
 * item before and after each write and the table's real index layout), SQS requests and
 * EventBridge entries (from the SDK clients, which see each request's payload and answer),
 * Lambda invocations (from the logger every handler wears, which is handed each invocation's
 * context), API requests and emulator calls (from the HTTP servers). Nothing in the product is
 * changed: every hook wraps a shared module's property and `uninstall` puts it back.
 */
import { type IncomingMessage, Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { Logger } from "@aws-lambda-powertools/logger";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import {
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { BUS_RULES } from "../functions/core/bus-rules.ts";
import { busTargetQueueName } from "../local/emulators/sqs.ts";
import {
  eventBridgeEventsFor,
  failedConditionCharge,
  type Item,
  itemBytes,
  itemKind,
  putEventsEntryBytes,
  readUnitsFor,
  sqsRequestsFor,
  type TableShape,
  type WriteCharge,
  writeCharges,
} from "./capacity-units.ts";
import { KEYS, type Tally } from "./tally.ts";

const BILLED_SQS = new Set([
  "SendMessage",
  "SendMessageBatch",
  "ReceiveMessage",
  "DeleteMessage",
  "DeleteMessageBatch",
  "ChangeMessageVisibility",
  "ChangeMessageVisibilityBatch",
]);

/** The parts of dynalite's `db` module the meter wraps (see node_modules/dynalite/db). */
interface DynaliteDb {
  updateIndexes(
    store: unknown,
    table: TableShape,
    existingItem: Item | undefined | null,
    item: Item | undefined | null,
    cb: (error?: unknown) => void,
  ): void;
  checkConditional(data: WriteRequest, existingItem: Item | undefined): DynaliteError | undefined;
  addConsumedCapacity(
    data: WriteRequest & { ConsistentRead?: boolean },
    isRead: boolean,
    newItem?: Item,
    oldItem?: Item,
  ): unknown;
  queryTable(store: unknown, table: TableShape, data: ReadRequest, ...rest: unknown[]): void;
}

interface WriteRequest {
  TableName: string;
  Item?: Item;
  Key?: Item;
}

interface ReadRequest {
  TableName: string;
  IndexName?: string;
  KeyConditions?: unknown;
  ConsistentRead?: boolean;
  ReturnConsumedCapacity?: string;
}

interface DynaliteError {
  body?: { __type?: string };
}

interface QueryResult {
  ConsumedCapacity?: { CapacityUnits?: number };
}

type Send = (this: unknown, command: unknown, ...rest: unknown[]) => Promise<unknown>;

const requireHere = createRequire(import.meta.url);

/**
 * One meter per process. `install` before the runtime starts serving; read `snapshot()`;
 * `reset()` between scenarios. `activity` grows with every billable step (not with idle
 * receives nor the local alarm's queue reads), so a caller can tell when the runtime is quiet.
 */
export class CapacityMeter {
  readonly tally: Tally = new Map();
  activity = 0;
  /** The API server's port: requests to it are counted as API Gateway requests. */
  apiPort: number | undefined;
  private readonly tables = new Map<string, TableShape>();
  /** The write dynalite is in the middle of: its request, read just before its index update. */
  private pendingWrite: WriteRequest | undefined;
  private readonly undo: (() => void)[] = [];

  install(): this {
    this.meterDynalite();
    this.meterClients();
    this.meterInvocations();
    this.meterRequests();
    return this;
  }

  /**
   * dynalite's actions call these through its shared `db` module at call time: every write
   * checks its condition, then (in the same tick) reports its capacity and updates the indexes
   * with the item before and after; GetItem, and BatchGetItem key by key, report their item;
   * Query and Scan read through `queryTable`.
   */
  private meterDynalite() {
    const meter = this;
    const db = requireHere("dynalite/db") as DynaliteDb;

    this.wrap(
      db,
      "checkConditional",
      (original) =>
        function (this: unknown, data: WriteRequest, existingItem: Item | undefined) {
          const failure = original.call(this, data, existingItem);
          if (failure?.body?.__type?.endsWith("ConditionalCheckFailedException")) {
            meter.chargeFailedCondition(data, existingItem);
          }
          return failure;
        },
    );
    this.wrap(
      db,
      "addConsumedCapacity",
      (original) =>
        function (this: unknown, ...args: Parameters<DynaliteDb["addConsumedCapacity"]>) {
          const [data, isRead, item] = args;
          if (isRead) meter.chargeItemRead(data, item);
          else meter.pendingWrite = data; // the index update follows in the same tick
          return original.apply(this, args);
        },
    );
    this.wrap(
      db,
      "updateIndexes",
      (original) =>
        function (this: unknown, ...args: Parameters<DynaliteDb["updateIndexes"]>) {
          const [store, table, existingItem, item, cb] = args;
          const write = meter.pendingWrite;
          meter.pendingWrite = undefined;
          meter.tables.set(table.TableName ?? "", table);
          return original.call(this, store, table, existingItem, item, (error?: unknown) => {
            if (!error)
              meter.chargeWrite(table, existingItem ?? undefined, item ?? undefined, write);
            cb(error);
          });
        },
    );
    this.wrap(
      db,
      "queryTable",
      (original) =>
        function (this: unknown, ...args: Parameters<DynaliteDb["queryTable"]>) {
          const [store, table, data, ...rest] = args;
          meter.tables.set(table.TableName ?? "", table);
          // dynalite sums the sizes of the items a Query or Scan evaluated (before its filter) only
          // when asked to report consumed capacity: ask, and take the figure off the answer again.
          const asked =
            data.ReturnConsumedCapacity === "TOTAL" || data.ReturnConsumedCapacity === "INDEXES";
          const metered = asked ? data : { ...data, ReturnConsumedCapacity: "TOTAL" };
          const cb = rest.pop() as (error: unknown, result?: QueryResult) => void;
          return original.call(
            this,
            store,
            table,
            metered,
            ...rest,
            (error: unknown, result?: QueryResult) => {
              if (!error && result) {
                meter.chargeQuery(data, result.ConsumedCapacity?.CapacityUnits ?? 0);
                if (!asked) delete result.ConsumedCapacity;
              }
              cb(error, result);
            },
          );
        },
    );
  }

  /** SQS and EventBridge requests, with their payloads and answers, at the SDK clients. */
  private meterClients() {
    const meter = this;
    this.wrap(
      SQSClient.prototype as unknown as { send: Send },
      "send",
      (original) =>
        function (this: unknown, command: unknown, ...rest: unknown[]) {
          const answer = original.call(this, command, ...rest);
          if (rest.some((arg) => typeof arg === "function")) return answer; // callback form: unused here
          return answer.then((output) => {
            meter.chargeSqs(command, output);
            return output;
          });
        },
    );
    this.wrap(
      EventBridgeClient.prototype as unknown as { send: Send },
      "send",
      (original) =>
        function (this: unknown, command: unknown, ...rest: unknown[]) {
          const answer = original.call(this, command, ...rest);
          if (rest.some((arg) => typeof arg === "function")) return answer;
          return answer.then((output) => {
            if (command instanceof PutEventsCommand) meter.chargePutEvents(command, output);
            return output;
          });
        },
    );
  }

  /**
   * Every handler wears powertools' injectLambdaContext, which hands the logger the context of
   * each invocation: the local runtime's stand-in for Lambda's invocation count.
   */
  private meterInvocations() {
    const meter = this;
    this.wrap(
      Logger.prototype as unknown as { addContext(context: unknown): void },
      "addContext",
      (original) =>
        function (this: unknown, context: unknown) {
          const name = (context as { functionName?: string }).functionName ?? "(unnamed)";
          meter.add(KEYS.lambda, name.replace(/^switchyard-/, ""));
          return original.call(this, context);
        },
    );
  }

  /** Emulator calls and API requests, as the HTTP servers in this process receive them. */
  private meterRequests() {
    const meter = this;
    this.wrap(
      Server.prototype as unknown as { emit: Server["emit"] },
      "emit",
      (original) =>
        function (this: Server, event: string | symbol, ...args: unknown[]) {
          if (event === "request") meter.countRequest(this, args[0] as IncomingMessage);
          return Reflect.apply(original, this, [event, ...args]);
        } as Server["emit"],
    );
  }

  /** Puts every wrapped property back. */
  uninstall(): void {
    for (const restore of this.undo.splice(0).reverse()) restore();
  }

  reset(): void {
    this.tally.clear();
  }

  snapshot(): Tally {
    return new Map(this.tally);
  }

  private add(measure: string, detail: string, amount = 1, active = true) {
    const key = `${measure}\t${detail}`;
    this.tally.set(key, (this.tally.get(key) ?? 0) + amount);
    if (active) this.activity++;
  }

  private wrap<Host extends object, Name extends keyof Host>(
    host: Host,
    name: Name,
    make: (original: Host[Name]) => Host[Name],
  ) {
    const own = Object.getOwnPropertyDescriptor(host, name);
    const original = host[name];
    host[name] = make(original);
    this.undo.push(() => {
      if (own) Object.defineProperty(host, name, own);
      else delete host[name];
    });
  }

  private chargeWrite(
    table: TableShape,
    before: Item | undefined,
    after: Item | undefined,
    write: WriteRequest | undefined,
  ) {
    const kind = itemKind(after ?? before ?? write?.Key, table);
    this.record(writeCharges(table, before, after, { key: write?.Key }), kind);
  }

  private chargeFailedCondition(data: WriteRequest, existingItem: Item | undefined) {
    const table = this.tables.get(data.TableName);
    const charge = failedConditionCharge(table, data.Item ?? data.Key);
    this.record([charge], itemKind(data.Item ?? existingItem ?? data.Key, table));
    this.add(KEYS.failedConditions, charge.target, charge.units);
  }

  private record(charges: WriteCharge[], kind: string) {
    for (const charge of charges) {
      this.add(KEYS.writeUnits, `${charge.target}\t${kind}`, charge.units);
      this.add(KEYS.partitionUnits, `${charge.target}\t${charge.partition}`, charge.units);
    }
  }

  /** GetItem, and each key of a BatchGetItem (dynalite reads those through GetItem). */
  private chargeItemRead(data: { ConsistentRead?: boolean }, item: Item | undefined) {
    const bytes = item ? itemBytes(item) : 0;
    this.add(
      KEYS.readUnits,
      "GetItem, BatchGetItem (per item)",
      readUnitsFor(bytes, data.ConsistentRead === true),
    );
  }

  /**
   * A Query or Scan: dynalite's figure is the evaluated items' bytes in started 4 KB blocks,
   * halved when eventually consistent; DynamoDB charges at least one block even when none
   * matched.
   */
  private chargeQuery(data: ReadRequest, emulatorUnits: number) {
    const consistent = data.ConsistentRead === true;
    const blocks = emulatorUnits / (consistent ? 1 : 0.5);
    const operation = data.KeyConditions ? "Query" : "Scan";
    this.add(
      KEYS.readUnits,
      `${operation} ${data.IndexName ?? "table"}`,
      readUnitsFor(blocks * 4096, consistent),
    );
  }

  private chargeSqs(command: unknown, output: unknown) {
    const operation = (command as object).constructor.name.replace(/Command$/, "");
    if (!BILLED_SQS.has(operation)) {
      this.add(KEYS.sqsOther, operation, 1, false);
      return;
    }
    let payload = 0;
    if (command instanceof SendMessageBatchCommand && isBusTarget(command.input.QueueUrl)) {
      // The local bus's hand-off to a rule's queue stands in for EventBridge's, which sends
      // each event to an SQS target on its own, a request each: the local bus's batching is
      // not what AWS bills.
      for (const entry of command.input.Entries ?? []) {
        const bytes = messageBytes(entry.MessageBody, entry.MessageAttributes);
        this.add(KEYS.sqs, "SendMessage (EventBridge to its target)", sqsRequestsFor(bytes));
      }
      return;
    }
    if (command instanceof SendMessageCommand) {
      payload = messageBytes(command.input.MessageBody, command.input.MessageAttributes);
    } else if (command instanceof SendMessageBatchCommand) {
      for (const entry of command.input.Entries ?? []) {
        payload += messageBytes(entry.MessageBody, entry.MessageAttributes);
      }
    } else if (command instanceof ReceiveMessageCommand) {
      const messages: Message[] = (output as { Messages?: Message[] }).Messages ?? [];
      if (messages.length === 0) {
        this.add(KEYS.receive, "empty", 1, false);
        return;
      }
      this.add(KEYS.receive, "messages", messages.length);
      for (const message of messages)
        payload += messageBytes(message.Body, message.MessageAttributes);
    }
    this.add(KEYS.sqs, operation, sqsRequestsFor(payload));
  }

  private chargePutEvents(command: PutEventsCommand, output: unknown) {
    const results = (output as { Entries?: { ErrorCode?: string }[] }).Entries ?? [];
    (command.input.Entries ?? []).forEach((entry, index) => {
      if (results[index]?.ErrorCode) return; // refused: not published, not billed
      this.add(KEYS.eventBridge, "entries");
      this.add(KEYS.eventBridge, "events", eventBridgeEventsFor(putEventsEntryBytes(entry)));
    });
  }

  private countRequest(server: Server, request: IncomingMessage) {
    const target = request.headers["x-amz-target"];
    if (typeof target === "string") {
      const operation = target
        .replace(/^DynamoDB_\d+\./, "DynamoDB ")
        .replace(/^AmazonSQS\./, "SQS ")
        .replace(/^AWSEvents\./, "EventBridge ");
      this.add(KEYS.call, operation, 1, false);
      return;
    }
    const address = server.address() as AddressInfo | string | null;
    const port = typeof address === "object" && address ? address.port : undefined;
    if (port !== undefined && port === this.apiPort && !request.url?.startsWith("/health")) {
      this.add(KEYS.api, "requests");
    }
  }
}

const BUS_TARGET_QUEUES = new Set(BUS_RULES.map((rule) => busTargetQueueName(rule.id)));

function isBusTarget(queueUrl: string | undefined): boolean {
  return BUS_TARGET_QUEUES.has(queueUrl?.split("/").pop() ?? "");
}

/** An SQS message's billed payload: its body and its attributes' names, types and values. */
function messageBytes(
  body: string | undefined,
  attributes: Record<string, MessageAttributeValue> | undefined,
): number {
  let size = body ? Buffer.byteLength(body) : 0;
  for (const [name, value] of Object.entries(attributes ?? {})) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? "");
    size += value.StringValue ? Buffer.byteLength(value.StringValue) : 0;
    size += value.BinaryValue ? value.BinaryValue.length : 0;
  }
  return size;
}
