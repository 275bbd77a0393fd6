import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Store } from "../../../functions/core/ports.ts";
import { type TriggerDeps, triggerEvent } from "../../../functions/core/services/trigger-event.ts";
import { fixedClock, usePipeline } from "../../support/harness.ts";

const APP = "app_01M83400000000000000000000";
const pipeline = usePipeline();
let store: Store;
let onError: ReturnType<typeof vi.fn<NonNullable<TriggerDeps["onError"]>>>;
let deps: TriggerDeps;

beforeEach(async () => {
  store = await pipeline.table.freshStore();
  await store.createDefinition(APP, {
    slug: "contact_created",
    name: "Contact Created",
    description: null,
    sample_payload: {},
    strict: false,
    created_at: "2026-11-23T00:00:00.000Z",
    updated_at: "2026-11-23T00:00:00.000Z",
  });
  onError = vi.fn();
  deps = {
    store,
    bus: pipeline.messaging.bus,
    queue: pipeline.messaging.queue,
    clock: fixedClock(),
    onError,
  };
});

const trigger = (idempotencyKey?: string) =>
  triggerEvent(deps, {
    appId: APP,
    slug: "contact_created",
    linkedAccountId: "acme",
    idempotencyKey,
    body: { payload: {} },
  });

const timeout = () => Object.assign(new Error("socket timed out"), { name: "TimeoutError" });

describe("triggerEvent: faults that do not change the answer are reported", () => {
  it("reports a key it could not mark answered, and still answers the event", async () => {
    const fault = new Error("throughput exceeded");
    store.completeIdempotencyKey = async () => {
      throw fault;
    };

    const { event_id } = await trigger("k-1");

    expect(event_id).toMatch(/^evt_/);
    expect(onError).toHaveBeenCalledExactlyOnceWith("idempotency key not marked answered", fault);
  });

  it("reports a claim whose lease it could not end after the bus failed", async () => {
    pipeline.messaging.eventBridge.on(PutEventsCommand).rejects(timeout());
    const fault = new Error("throughput exceeded");
    store.replaceIdempotencyClaim = async () => {
      throw fault;
    };

    await expect(trigger("k-2")).rejects.toMatchObject({ statusCode: 500 });

    expect(onError).toHaveBeenCalledExactlyOnceWith("idempotency claim's lease not ended", fault);
  });

  it("reports nothing when the bus fails a request without a key: there is no claim to end", async () => {
    pipeline.messaging.eventBridge.on(PutEventsCommand).rejects(timeout());

    await expect(trigger()).rejects.toMatchObject({ statusCode: 500 });

    expect(onError).not.toHaveBeenCalled();
  });

  it("keeps the bus's error as the cause of the 500, for the log", async () => {
    const error = timeout();
    pipeline.messaging.eventBridge.on(PutEventsCommand).rejects(error);

    await expect(trigger("k-3")).rejects.toMatchObject({
      statusCode: 500,
      errorType: "INTERNAL_ERROR",
      cause: error,
    });
  });

  it("answers the event when a key cannot be marked answered and nobody listens for faults", async () => {
    store.completeIdempotencyKey = async () => {
      throw new Error("throughput exceeded");
    };

    const { event_id } = await triggerEvent(
      { ...deps, onError: undefined },
      {
        appId: APP,
        slug: "contact_created",
        linkedAccountId: "acme",
        idempotencyKey: "k-4",
        body: {},
      },
    );

    expect(event_id).toMatch(/^evt_/);
  });

  it("answers the bus's 500 when a lease cannot be ended and nobody listens for faults", async () => {
    pipeline.messaging.eventBridge.on(PutEventsCommand).rejects(timeout());
    store.replaceIdempotencyClaim = async () => {
      throw new Error("throughput exceeded");
    };

    await expect(
      triggerEvent(
        { ...deps, onError: undefined },
        {
          appId: APP,
          slug: "contact_created",
          linkedAccountId: "acme",
          idempotencyKey: "k-5",
          body: {},
        },
      ),
    ).rejects.toMatchObject({ statusCode: 500, errorType: "INTERNAL_ERROR" });
  });
});
