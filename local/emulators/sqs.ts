import { mkdirSync } from "node:fs";
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
import { LOOPBACK, startOnLoopback } from "./loopback.ts";

/** A bus target that fails this many times goes to the bus's dead-letter queue. */
const BUS_TARGET_MAX_RECEIVES = 10;
/** Far longer than one fan-out run takes; a failed run is retried sooner (see the bus worker). */
const BUS_TARGET_VISIBILITY_SECONDS = 10;

export interface LocalQueues {
  deliveryQueueUrl: string;
  deadLetterQueueUrl: string;
  /** One queue per bus rule: where the local bus keeps events until its target took them. */
  busTargetQueueUrls: Map<string, string>;
  busDeadLetterQueueUrl: string;
}

export interface LocalSqs {
  endpoint: string;
  /** The address fauxqs's socket is bound to: 127.0.0.1. */
  listenAddress: string;
  client: SQSClient;
  queues: LocalQueues;
  healthy(): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * fauxqs on a loopback port (127.0.0.1 only), persisted in SQLite under `<dataDir>/sqs`, with the delivery
 * queue and its DLQ set up as the stack sets them up (visibility, redrive backstop, retention).
 */
export async function startSqs(
  dataDir: string,
  settings: DeliveryQueueSettings,
): Promise<LocalSqs> {
  const path = join(dataDir, "sqs");
  mkdirSync(path, { recursive: true });
  const { started: server, addresses } = await startOnLoopback(() =>
    startFauxqs({ port: 0, logger: false, dataDir: path }),
  );
  const [listenAddress] = addresses;
  if (addresses.length !== 1 || listenAddress !== LOOPBACK) {
    await server.stop();
    throw new Error(`fauxqs listens on ${addresses.join(", ")}, not on ${LOOPBACK} alone`);
  }
  const client = new SQSClient({
    region: LOCAL_REGION,
    endpoint: server.address,
    credentials: LOCAL_CREDENTIALS,
  });
  const queue = createQueueWith(client);
  const retention = String(settings.deadLetterRetentionSeconds);

  const deadLetter = await queue("switchyard-deliveries-dlq", {
    MessageRetentionPeriod: retention,
  });
  const delivery = await queue("switchyard-deliveries", {
    VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
    MessageRetentionPeriod: retention,
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: deadLetter.arn,
      maxReceiveCount: settings.backstopMaxReceiveCount,
    }),
  });
  const busDeadLetter = await queue("switchyard-bus-dlq", { MessageRetentionPeriod: retention });
  const busTargetQueueUrls = new Map<string, string>();
  for (const rule of BUS_RULES) {
    const target = await queue(`switchyard-bus-${rule.id.toLowerCase()}`, {
      VisibilityTimeout: String(BUS_TARGET_VISIBILITY_SECONDS),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: busDeadLetter.arn,
        maxReceiveCount: BUS_TARGET_MAX_RECEIVES,
      }),
    });
    busTargetQueueUrls.set(rule.id, target.url);
  }

  return {
    endpoint: server.address,
    listenAddress,
    client,
    queues: {
      deliveryQueueUrl: delivery.url,
      deadLetterQueueUrl: deadLetter.url,
      busTargetQueueUrls,
      busDeadLetterQueueUrl: busDeadLetter.url,
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
      await server.stop();
    },
  };
}

/** Creates a queue, or brings an existing one (from an earlier run) to these attributes. */
function createQueueWith(client: SQSClient) {
  return async (name: string, attributes: Record<string, string>) => {
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name }));
    if (!QueueUrl) throw new Error(`fauxqs did not create ${name}`);
    await client.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
    );
    return { url: QueueUrl, arn: Attributes?.QueueArn ?? "" };
  };
}
