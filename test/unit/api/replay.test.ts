import type { Context } from "aws-lambda";
import { beforeEach, describe, expect, it } from "vitest";
import { deliveryId } from "../../../functions/core/ids.ts";
import type { RoutedEvent } from "../../../functions/core/model.ts";
import type { Store } from "../../../functions/core/ports.ts";
import { createFanOutHandler } from "../../../functions/fanout/handler.ts";
import { createRunnerHandler } from "../../../functions/runner/handler.ts";
import { busEnvelope, sqsRecords } from "../../support/events.ts";
import { type fixedClock, freshApp, type Invoke, usePipeline } from "../../support/harness.ts";

const context = {} as Context;
const pipeline = usePipeline();
let call: Invoke;
let store: Store;
let appId: string;
let clock: ReturnType<typeof fixedClock>;

beforeEach(async () => {
  ({ call, store, appId, clock } = await freshApp(pipeline));
  await call({
    method: "POST",
    path: "/api/v2/events",
    body: { name: "Contact Created", sample_payload: {} },
  });
});

const appEvents = () =>
  pipeline.messaging
    .publishedEvents()
    .filter((event) => event.platform === false) as unknown as RoutedEvent[];

async function triggered(): Promise<string> {
  const answer = await call({
    method: "POST",
    path: "/api/v2/public/event/contact_created",
    body: { payload: { first_name: "Ada" } },
    headers: { linked_account_id: "acme" },
  });
  expect(answer.status).toBe(200);
  return answer.body.event_id;
}

/** Routes what the bus took, as the fan-out and the runner would: the deliveries' ids. */
async function route(events: RoutedEvent[]) {
  const fanOut = createFanOutHandler({ store, queue: pipeline.messaging.queue, clock });
  const runner = createRunnerHandler({
    store,
    queue: pipeline.messaging.queue,
    bus: pipeline.messaging.bus,
    clock,
    environment: "test",
  });
  const records = sqsRecords(...events.map((event) => busEnvelope(event)));
  await fanOut(records, context);
  await runner(records, context);
  return (await pipeline.table.items("delivery")).map((item) => String(item.id)).sort();
}

describe("POST /api/v2/events/{event_id}/replay", () => {
  it("puts the stored event on the bus again, numbered: new deliveries to what matches now", async () => {
    const subscription = await call({
      method: "POST",
      path: "/api/v2/webhooks",
      body: { url: "https://example.com/hooks", events: ["contact_created"] },
    });
    const eventId = await triggered();
    const [original] = appEvents();
    expect(await route([original as RoutedEvent])).toHaveLength(1);
    // A workflow created since: the replay runs it too.
    const workflow = await call({
      method: "POST",
      path: "/api/v2/workflows",
      body: {
        name: "CRM",
        event: "contact_created",
        action: { type: "http", url: "https://crm.example.com/" },
      },
    });

    const replayed = await call({ method: "POST", path: `/api/v2/events/${eventId}/replay` });
    expect(replayed.status).toBe(200);
    expect(replayed.body).toEqual({ event_id: eventId, replay: 1 });
    const replay = appEvents().at(-1);
    expect(replay).toMatchObject({ event_id: eventId, replay: 1, payload: { first_name: "Ada" } });

    const ids = await route([replay as RoutedEvent]);
    const target = (type: "webhook" | "workflow", id: string) => ({ type, id });
    expect(ids).toEqual(
      [
        deliveryId(eventId, target("webhook", subscription.body.id)),
        deliveryId(eventId, target("webhook", subscription.body.id), 1),
        deliveryId(eventId, target("workflow", workflow.body.id), 1),
      ].sort(),
    );
    // A bus rerun of the same replay makes nothing new; a second replay does.
    expect(await route([replay as RoutedEvent])).toHaveLength(3);
    const second = await call({ method: "POST", path: `/api/v2/events/${eventId}/replay` });
    expect(second.body.replay).toBe(2);
    expect(await route([appEvents().at(-1) as RoutedEvent])).toHaveLength(5);
  });

  it("answers 404 for an unknown, malformed or another app's event, publishing nothing", async () => {
    const eventId = await triggered();
    const before = appEvents().length;
    const other = await freshApp(pipeline, clock);
    for (const [invoke, id] of [
      [call, "evt_01JD0000000000000000000000"],
      [call, "nope"],
      [other.call, eventId],
    ] as const) {
      expect((await invoke({ method: "POST", path: `/api/v2/events/${id}/replay` })).status).toBe(
        404,
      );
    }
    expect(appEvents()).toHaveLength(before);
    expect(appId).toBeDefined();
  });

  it("refuses a body with fields", async () => {
    const eventId = await triggered();
    const answer = await call({
      method: "POST",
      path: `/api/v2/events/${eventId}/replay`,
      body: { to: "x" },
    });
    expect(answer.status).toBe(400);
  });
});
