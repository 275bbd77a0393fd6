import { mkdirSync } from "node:fs";
import { Server as HttpServer } from "node:http";
import { join } from "node:path";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { startFauxqs } from "fauxqs";
import { BUS_RULES } from "../../functions/core/bus-rules.ts";
import type { DeliveryQueueSettings } from "../../functions/core/delivery-settings.ts";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "./credentials.ts";
import { type EmulatorAccess, inProcessClientOptions } from "./in-process.ts";
import { LOOPBACK, startOnLoopback } from "./loopback.ts";

/** A queue of the local runtime: its URL, and its ARN for the records' `eventSourceARN`. */
export interface LocalQueue {
  url: string;
  arn: string;
}

export interface LocalQueues {
  delivery: LocalQueue;
  /** The slow lane: deliveries of failing, paused or slow subscriptions. */
  slowDelivery: LocalQueue;
  deliveryDeadLetter: LocalQueue;
  /** The ordered lane's FIFO queue, and its FIFO DLQ. */
  orderedDelivery: LocalQueue;
  orderedDeadLetter: LocalQueue;
  /** Per bus rule id, the queue the rule sends its events to, and that queue's DLQ. */
  busTargets: Map<string, { queue: LocalQueue; deadLetter: LocalQueue }>;
}

export interface LocalSqs {
  endpoint: string;
  client: SQSClient;
  queues: LocalQueues;
  healthy(): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * fauxqs on a loopback port (127.0.0.1 only), persisted in SQLite under `<dataDir>/sqs`, with
 * the queues set up as the stack sets them up (visibility, redrive to their DLQs, retention):
 * the delivery queue, the slow lane's queue and their DLQ, the ordered lane's FIFO queue and
 * its FIFO DLQ, and one queue per bus rule with its DLQ.
 */
export async function startSqs(
  dataDir: string,
  settings: DeliveryQueueSettings,
  served?: EmulatorAccess,
): Promise<LocalSqs> {
  const server = served === undefined ? await serveFauxqs(dataDir) : undefined;
  const endpoint = served?.endpoint ?? server?.address ?? "";
  const client = new SQSClient({
    region: LOCAL_REGION,
    endpoint,
    credentials: LOCAL_CREDENTIALS,
    ...(served && inProcessClientOptions(served.dispatch)),
  });
  const queue = createQueueWith(client);
  const retention = String(settings.deadLetterRetentionSeconds);

  const deadLetterQueue = (name: string, atCreation?: Record<string, string>) =>
    queue(
      name,
      {
        VisibilityTimeout: String(settings.deadLetterVisibilityTimeoutSeconds),
        MessageRetentionPeriod: retention,
      },
      atCreation,
    );
  const deliveryLane = (
    name: string,
    deadLetter: LocalQueue,
    atCreation?: Record<string, string>,
  ) =>
    queue(
      name,
      {
        VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
        MessageRetentionPeriod: retention,
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: deadLetter.arn,
          maxReceiveCount: settings.backstopMaxReceiveCount,
        }),
      },
      atCreation,
    );
  const deliveryDeadLetter = await deadLetterQueue("switchyard-deliveries-dlq");
  const delivery = await deliveryLane("switchyard-deliveries", deliveryDeadLetter);
  const slowDelivery = await deliveryLane("switchyard-deliveries-slow", deliveryDeadLetter);
  // A queue is FIFO from its creation on, and its name says so.
  const fifo = { FifoQueue: "true" };
  const orderedDeadLetter = await deadLetterQueue("switchyard-deliveries-ordered-dlq.fifo", fifo);
  const orderedDelivery = await deliveryLane(
    "switchyard-deliveries-ordered.fifo",
    orderedDeadLetter,
    fifo,
  );
  const busTargets = new Map<string, { queue: LocalQueue; deadLetter: LocalQueue }>();
  for (const rule of BUS_RULES) {
    const name = busTargetQueueName(rule.id);
    const deadLetter = await queue(`${name}-dlq`, { MessageRetentionPeriod: retention });
    const target = await queue(name, {
      VisibilityTimeout: String(rule.queue.visibilityTimeoutSeconds),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: deadLetter.arn,
        maxReceiveCount: rule.queue.maxReceiveCount,
      }),
    });
    busTargets.set(rule.id, { queue: target, deadLetter });
  }

  return {
    endpoint,
    client,
    queues: {
      delivery,
      slowDelivery,
      deliveryDeadLetter,
      orderedDelivery,
      orderedDeadLetter,
      busTargets,
    },
    async healthy() {
      try {
        await client.send(
          new GetQueueAttributesCommand({ QueueUrl: delivery.url, AttributeNames: ["QueueArn"] }),
        );
        return true;
      } catch {
        return false;
      }
    },
    async stop() {
      client.destroy();
      await server?.stop();
    },
  };
}

/**
 * fauxqs on loopback alone: a listener that got past `startOnLoopback` is refused. Answers
 * fauxqs and its HTTP server, into which the in-process transport injects requests.
 */
export async function serveFauxqs(dataDir: string) {
  const path = join(dataDir, "sqs");
  mkdirSync(path, { recursive: true });
  const {
    started: server,
    addresses,
    servers,
  } = await startOnLoopback(() => startFauxqs({ port: 0, logger: false, dataDir: path }));
  const [httpServer] = servers;
  if (addresses.length !== 1 || addresses[0] !== LOOPBACK || !(httpServer instanceof HttpServer)) {
    await server.stop();
    throw new Error(`fauxqs listens on ${addresses.join(", ")}, not on ${LOOPBACK} alone`);
  }
  return Object.assign(server, { httpServer });
}

/** The local queue a bus rule sends its events to. */
export function busTargetQueueName(ruleId: string): string {
  return `switchyard-${ruleId.toLowerCase()}`;
}

/**
 * Creates a queue, or brings an existing one (from an earlier run) to these attributes; those
 * a queue can only be created with (`FifoQueue`) go in `atCreation`.
 */
function createQueueWith(client: SQSClient) {
  return async (
    name: string,
    attributes: Record<string, string>,
    atCreation?: Record<string, string>,
  ): Promise<LocalQueue> => {
    const { QueueUrl } = await client.send(
      new CreateQueueCommand({ QueueName: name, Attributes: atCreation }),
    );
    if (!QueueUrl) throw new Error(`fauxqs did not create ${name}`);
    await client.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
    );
    return { url: QueueUrl, arn: Attributes?.QueueArn ?? "" };
  };
}
