import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { eventually, type LocalRuntime, useLocalRuntimes } from "../support/local-runtime.ts";
import { startReceiver, type TestReceiver } from "../support/receiver.ts";
import { runtimeQueues } from "../support/runtime-queues.ts";

let receiver: TestReceiver;
const runtimes = useLocalRuntimes();

beforeAll(async () => {
  receiver = await startReceiver();
});
afterEach(() => {
  receiver.requests.length = 0;
});
afterAll(async () => {
  await receiver?.close();
});

/** A runtime on a new data dir, with the receiver subscribed to `contact_created`. */
async function start(env: Record<string, string>) {
  const dir = runtimes.newDataDir();
  const runtime = await runtimes.start(dir, env);
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

    const { sqs, urls } = runtimeQueues(dataDir);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: urls.fanout_dlq,
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

describe("a runtime killed between the trigger's steps", () => {
  const withKey = (runtime: LocalRuntime, key: string) =>
    runtime.call(
      "POST",
      "/api/v2/public/event/contact_created",
      { payload: { first_name: "Ada" } },
      { linked_account_id: "acme", "idempotency-key": key },
    );

  /** Triggers with the key until the claim of the killed request has lapsed (its 20 s lease). */
  const retryUntilAnswered = (runtime: LocalRuntime, key: string) =>
    eventually(
      async () => {
        const answer = await withKey(runtime, key);
        if (answer.status === 409) return null; // still within the dead request's lease
        return answer;
      },
      30_000,
      "the retry to be answered",
    );

  /** Starts a runtime that kills itself at `crash`, triggers once, and waits for it to die. */
  async function crashWhileTriggering(crash: string, key: string) {
    const { runtime, dataDir } = await start({ SWITCHYARD_FAULTS: `crash=${crash}` });
    const exited = new Promise((resolve) => runtime.process.once("exit", resolve));
    await expect(withKey(runtime, key)).rejects.toThrow(); // the connection dies with it
    await exited;
    return runtimes.start(dataDir);
  }

  it("delivers an event the bus took before the kill, and a retry with the key answers that event", async () => {
    const restarted = await crashWhileTriggering("after-publish", "order-1");
    // Nobody was answered, but the bus had the event: it is delivered all the same.
    await eventually(async () => receiver.requests.length > 0, 15_000, "the delivery");
    const delivered = JSON.parse(receiver.requests[0]?.body ?? "{}");
    const retried = await retryUntilAnswered(restarted, "order-1");
    expect(retried.status).toBe(200);
    expect(retried.body.event_id).toBe(delivered.event_id);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // The retry put the same event on the bus again: no second event, no second delivery.
    expect(new Set(receiver.requests.map((request) => JSON.parse(request.body).id)).size).toBe(1);
  }, 60_000);

  it("hands over an event stored before the kill when the client retries with its key", async () => {
    const restarted = await crashWhileTriggering("before-publish", "order-2");
    const retried = await retryUntilAnswered(restarted, "order-2");
    expect(retried.status).toBe(200);
    await eventually(async () => receiver.requests.length > 0, 15_000, "the delivery");
    expect(receiver.requests.map((request) => JSON.parse(request.body).event_id)).toEqual([
      retried.body.event_id,
    ]);
    expect((await withKey(restarted, "order-2")).body.event_id).toBe(retried.body.event_id);
  }, 60_000);
});
