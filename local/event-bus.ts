import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { EventBridgeEvent } from "aws-lambda";
import { BUS_RULES } from "../functions/core/bus-rules.ts";
import {
  type EventPattern,
  matchesPattern,
  parseEventPattern,
} from "../functions/core/event-pattern.ts";
import { batchedSender } from "./batched-sends.ts";
import { LOCAL_REGION } from "./emulators/credentials.ts";
import { type Dispatch, emitInto } from "./emulators/in-process.ts";

export interface LocalBusOptions {
  sqs: SQSClient;
  /** Per rule id, the queue the rule targets. */
  targetQueueUrls: Map<string, string>;
  onError(error: unknown): void;
}

export interface LocalBus {
  endpoint: string;
  /** Into the bus without a socket: what the runtime's EventBridge clients use. */
  dispatch: Dispatch;
  /** Whether it takes events. */
  healthy(): boolean;
  stop(): Promise<void>;
}

interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Time?: number | string;
}

const ACCOUNT = "000000000000";

/**
 * A local EventBridge: a PutEvents endpoint the unchanged EventBridge adapter talks to. It
 * applies the stack's own rule patterns and sends each matching event, in the envelope
 * EventBridge gives a target, to the rule's target queue before it answers, so an accepted
 * event survives a crash (events put at the same moment share a SendMessageBatch). The
 * queue's consumer is fed by its own event source (see `event-source.ts`), as in AWS. An entry that could not be queued is answered as a failed
 * entry, which the publisher retries and then reports: locally the hand-off to the queue is
 * synchronous, so nothing needs the bus DLQ that covers EventBridge's asynchronous one.
 */
export async function startLocalBus(options: LocalBusOptions): Promise<LocalBus> {
  const rules = BUS_RULES.map((rule) => {
    const queueUrl = options.targetQueueUrls.get(rule.id);
    if (!queueUrl) throw new Error(`no queue for bus rule ${rule.id}`);
    return {
      pattern: parseEventPattern(rule.pattern, "rule"),
      send: batchedSender(options.sqs, queueUrl),
    };
  });
  const server = createServer((request, response) => {
    handlePutEvents(request, response, rules, options).catch((error: unknown) => {
      options.onError(error);
      respond(response, 500, { __type: "InternalException", message: "local bus failure" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    dispatch: emitInto(server),
    healthy: () => server.listening,
    stop: () => closeServer(server),
  };
}

async function handlePutEvents(
  request: IncomingMessage,
  response: ServerResponse,
  rules: { pattern: EventPattern; send(body: string): Promise<void> }[],
  options: LocalBusOptions,
) {
  const target = request.headers["x-amz-target"];
  if (request.method !== "POST" || target !== "AWSEvents.PutEvents") {
    respond(response, 400, {
      __type: "UnknownOperationException",
      message: `${target} is not supported`,
    });
    return;
  }
  const body = JSON.parse(await readBody(request)) as { Entries?: PutEventsEntry[] };
  const entries = body.Entries ?? [];
  const results = await Promise.all(
    entries.map(async (entry) => {
      try {
        const envelope = toEnvelope(entry);
        const matching = rules.filter(({ pattern }) => matchesPattern(pattern, envelope));
        const body = JSON.stringify(envelope);
        await Promise.all(
          matching.map(({ send }) =>
            send(body).catch((error: Error) => {
              throw new Error(`could not keep event ${envelope.id}: ${error.message}`);
            }),
          ),
        );
        return { EventId: envelope.id };
      } catch (error) {
        options.onError(error);
        return { ErrorCode: "InternalFailure", ErrorMessage: (error as Error).message };
      }
    }),
  );
  respond(response, 200, {
    FailedEntryCount: results.filter((result) => "ErrorCode" in result).length,
    Entries: results,
  });
}

/** The envelope EventBridge hands a target. */
function toEnvelope(entry: PutEventsEntry): EventBridgeEvent<string, unknown> {
  if (!entry.Source || !entry.DetailType || !entry.Detail) {
    throw new Error("an entry needs Source, DetailType and Detail");
  }
  const time = entry.Time === undefined ? new Date() : new Date(Number(entry.Time) * 1000);
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": entry.DetailType,
    source: entry.Source,
    account: ACCOUNT,
    time: time.toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: LOCAL_REGION,
    resources: [],
    detail: JSON.parse(entry.Detail),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function respond(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
  response.end(JSON.stringify(body));
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
