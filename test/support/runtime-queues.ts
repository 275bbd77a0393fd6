import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";

/**
 * The queues of a running local runtime, found through its data dir's `runtime.json`: an SQS
 * client on its emulator (local credentials, loopback only) and each queue's URL by name
 * (`delivery`, `delivery_slow`, `delivery_dlq`, `fanout`, `fanout_dlq`). Destroy the client.
 */
export function runtimeQueues(dataDir: string) {
  const { sqs_endpoint, queues } = JSON.parse(readFileSync(join(dataDir, "runtime.json"), "utf8"));
  const sqs = new SQSClient({
    region: "us-east-1",
    endpoint: sqs_endpoint,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  return {
    sqs,
    urls: queues as Record<string, string>,
    /** The messages in a queue, visible or hidden. */
    async depth(name: string): Promise<number> {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queues[name],
          AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        }),
      );
      return (
        Number(Attributes.ApproximateNumberOfMessages ?? 0) +
        Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
      );
    },
  };
}
