import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { eventually, type LocalRuntime, startLocalRuntime } from "../support/local-runtime.ts";
import { startReceiver, type TestReceiver } from "../support/receiver.ts";

let receiver: TestReceiver;
const runtimes: LocalRuntime[] = [];
const dataDirs: string[] = [];

beforeAll(async () => {
  receiver = await startReceiver();
});
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.stop("SIGKILL")));
  receiver.requests.length = 0;
});
afterAll(async () => {
  await receiver?.close();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

async function start(env: Record<string, string>, dataDir?: string) {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), "switchyard-e2e-"));
  if (!dataDir) dataDirs.push(dir);
  const runtime = await startLocalRuntime({ SWITCHYARD_DATA_DIR: dir, ...env });
  runtimes.push(runtime);
  await runtime.call("POST", "/api/v2/events", { name: "Contact Created", sample_payload: {} });
  await runtime.call("POST", "/api/v2/webhooks", {
    url: receiver.url,
    events: ["contact_created"],
  });
  return { runtime, dataDir: dir };
}

const trigger = (runtime: LocalRuntime) =>
  runtime.call(
    "POST",
    "/api/v2/public/event/contact_created",
    { payload: { first_name: "Ada" } },
    { linked_account_id: "acme" },
  );

describe("a fan-out that fails", () => {
  it("is retried from its queue, and the event is delivered once the fault clears", async () => {
    const { runtime } = await start({
      SWITCHYARD_FAULTS: "fanout-fails=2",
      POWERTOOLS_LOG_LEVEL: "INFO",
    });
    const accepted = await trigger(runtime);
    expect(accepted.status).toBe(200);
    await eventually(async () => receiver.requests.length > 0, 15_000, "the delivery");
    const delivered = JSON.parse(receiver.requests[0]?.body ?? "{}");
    expect(delivered.event_id).toBe(accepted.body.event_id);
    // The terminal shows the outcome as one readable line (the default log level, INFO).
    await eventually(
      async () =>
        new RegExp(`INFO +deliverer +delivery succeeded +delivery_id=${delivered.id} `).test(
          runtime.output(),
        ),
      5_000,
      "the outcome line",
    );
  });

  it("parks the event in the fan-out DLQ when it keeps failing, and says so", async () => {
    const { runtime, dataDir } = await start({ SWITCHYARD_FAULTS: "fanout-fails=always" });
    const accepted = await trigger(runtime);
    expect(accepted.status).toBe(200);
    // Five receives two seconds apart, then SQS's redrive moves it; the watch reports it.
    await eventually(
      async () => /ALARM: \d+ messages? in the fanout dead-letter queue/.test(runtime.output()),
      30_000,
      "the dead-letter alarm",
    );
    expect(receiver.requests).toHaveLength(0);

    const { sqs_endpoint, queues } = JSON.parse(
      readFileSync(join(dataDir, "runtime.json"), "utf8"),
    );
    const sqs = new SQSClient({
      region: "us-east-1",
      endpoint: sqs_endpoint,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queues.fanout_dlq,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
      }),
    );
    sqs.destroy();
    // The event, beside the platform events the set-up emitted (they failed the same way).
    expect(Messages.map((message) => JSON.parse(message.Body ?? "{}").detail.event_id)).toContain(
      accepted.body.event_id,
    );
  }, 40_000);
});
