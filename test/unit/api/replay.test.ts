import type { Context } from "aws-lambda";
import { beforeEach, describe, expect, it } from "vitest";
import { BUS_RULES } from "../../../functions/core/bus-rules.ts";
import { encodeCursor } from "../../../functions/core/cursor.ts";
import { matchesPattern, parseEventPattern } from "../../../functions/core/event-pattern.ts";
import { deliveryId, newId } from "../../../functions/core/ids.ts";
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

describe("POST /api/v2/webhooks/{id}/replay", () => {
  // Event ids are monotonic within a process: each test's clock starts a day after the last's,
  // so the ids it mints carry the times it sets.
  let day = 0;
  beforeEach(() => {
    day++;
  });
  const at = (time: string) =>
    new Date(Date.parse(`2026-11-23T${time}Z`) + day * 86_400_000).toISOString();

  const webhook = async (body: Record<string, unknown> = {}) =>
    (
      await call({
        method: "POST",
        path: "/api/v2/webhooks",
        body: { url: "https://example.com/hooks", events: ["contact_created"], ...body },
      })
    ).body.id as string;

  async function triggerAt(iso: string, account = "acme"): Promise<string> {
    clock.set(iso);
    const answer = await call({
      method: "POST",
      path: "/api/v2/public/event/contact_created",
      body: { payload: { first_name: "Ada" } },
      headers: { linked_account_id: account },
    });
    expect(answer.status).toBe(200);
    return answer.body.event_id;
  }

  const replayTo = (id: string, body: Record<string, unknown>) =>
    call({ method: "POST", path: `/api/v2/webhooks/${id}/replay`, body });

  const replaysSince = (count: number) => appEvents().slice(count);

  it("sends the window's events it matches now, oldest first, each as a new delivery to it alone", async () => {
    const before = await triggerAt(at("08:59:59.999"));
    const first = await triggerAt(at("09:00:00.000"));
    await triggerAt(at("09:10:00.000"), "globex"); // another linked account
    const second = await triggerAt(at("09:20:00.000"));
    const last = await triggerAt(at("10:00:00.000"));
    await triggerAt(at("10:00:00.001")); // after the window
    // Created after the events (it missed them all); another subscription matches them too.
    const id = await webhook({ linked_account_ids: ["acme"] });
    await webhook(); // a bystander
    const published = appEvents().length;

    const answer = await replayTo(id, {
      since: at("09:00:00.000"),
      until: at("10:00:00.000"),
    });

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ replayed: 3, next_cursor: null });
    const replays = replaysSince(published);
    expect(replays.map((event) => [event.event_id, event.replay, event.replay_to])).toEqual([
      [first, 1, id],
      [second, 1, id],
      [last, 1, id],
    ]);
    expect(replays.map((event) => event.event_id)).not.toContain(before);
    // The fan-out sends each to this subscription only (none to the bystander), with new ids.
    const ids = await routeToWebhooks(replays);
    const target = { type: "webhook" as const, id };
    expect(ids).toEqual([first, second, last].map((event) => deliveryId(event, target, 1)).sort());
  });

  it("pages 100 events a call, oldest first, with a cursor bound to the subscription and the window", async () => {
    const id = await webhook();
    const since = at("09:00:00.000");
    clock.set(since);
    const triggeredIds: string[] = [];
    for (let batch = 0; batch < 2; batch++) {
      const answer = await call({
        method: "POST",
        path: "/api/v2/public/events/batch",
        body: {
          events: Array.from({ length: 80 }, () => ({
            event: "contact_created",
            linked_account_id: "acme",
            payload: {},
          })),
        },
      });
      expect(answer.status).toBe(200);
      triggeredIds.push(...answer.body.data.map((result: { event_id: string }) => result.event_id));
    }
    const published = appEvents().length;

    const first = await replayTo(id, { since });
    expect(first.body.replayed).toBe(100);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    // Another window, or another subscription, cannot take this cursor.
    const other = await webhook();
    for (const [target, body] of [
      [id, { since: at("09:00:00.001"), cursor: first.body.next_cursor }],
      [other, { since, cursor: first.body.next_cursor }],
      [id, { since, cursor: "not-a-cursor" }],
    ] as const) {
      expect((await replayTo(target, body)).status).toBe(400);
    }
    const second = await replayTo(id, { since, cursor: first.body.next_cursor });
    expect(second.body).toEqual({ replayed: 60, next_cursor: null });
    expect(replaysSince(published).map((event) => event.event_id)).toEqual(
      [...triggeredIds].sort(),
    );
  });

  it("ends an open window at the first call: events triggered while a client pages are not replayed", async () => {
    const id = await webhook();
    const since = at("09:00:00.000");
    clock.set(since);
    const batch = await call({
      method: "POST",
      path: "/api/v2/public/events/batch",
      body: {
        events: Array.from({ length: 100 }, () => ({
          event: "contact_created",
          linked_account_id: "acme",
          payload: {},
        })),
      },
    });
    expect(batch.status).toBe(200);
    await triggerAt(at("09:00:00.500"));
    clock.set(at("09:00:01.000"));
    const first = await replayTo(id, { since });
    expect(first.body.replayed).toBe(100);
    const later = await triggerAt(at("09:00:02.000"));
    const published = appEvents().length;

    const second = await replayTo(id, { since, cursor: first.body.next_cursor });

    expect(second.body).toEqual({ replayed: 1, next_cursor: null });
    expect(replaysSince(published).map((event) => event.event_id)).not.toContain(later);
  });

  it("answers a cursor beyond the window with nothing left, and a time no id can hold with a 400", async () => {
    const id = await webhook();
    await triggerAt(at("09:00:00.000"));
    const since = at("08:00:00.000");
    const until = at("10:00:00.000");
    const scope = JSON.stringify([appId, id, since, until]);
    const beyond = `${newId("event", Date.parse(at("23:59:59.999")) + 1)}@${Date.parse(until)}`;
    const answer = await replayTo(id, { since, until, cursor: encodeCursor(scope, beyond) });
    expect([answer.status, answer.body]).toEqual([200, { replayed: 0, next_cursor: null }]);
    for (const time of ["1969-12-31T23:59:59.999Z", "+275760-09-13T00:00:00.000Z"]) {
      const refused = await replayTo(id, { since: time });
      expect([refused.status, refused.body.message]).toEqual([
        400,
        "since must be between 1970 and the year 10889",
      ]);
    }
  });

  it("goes on past events it does not match, a bounded number of reads a call", async () => {
    const id = await webhook({ linked_account_ids: ["acme"] });
    const since = at("09:00:00.000");
    clock.set(since);
    for (let batch = 0; batch < 12; batch++) {
      await call({
        method: "POST",
        path: "/api/v2/public/events/batch",
        body: {
          events: Array.from({ length: 100 }, () => ({
            event: "contact_created",
            linked_account_id: "globex",
            payload: {},
          })),
        },
      });
    }
    const wanted = await triggerAt(at("09:30:00.000"));

    const first = await replayTo(id, { since });
    expect(first.body.replayed).toBe(0);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await replayTo(id, { since, cursor: first.body.next_cursor });
    expect(second.body).toEqual({ replayed: 1, next_cursor: null });
    expect(appEvents().at(-1)).toMatchObject({ event_id: wanted, replay_to: id });
  });

  it("reaches a subscription enabled a moment ago, which the fan-out's cache still holds disabled", async () => {
    const eventId = await triggerAt(at("09:00:00.000"));
    const id = await webhook({ enabled: false });
    const fanOut = createFanOutHandler({ store, queue: pipeline.messaging.queue, clock });
    await fanOut(sqsRecords(busEnvelope(appEvents()[0] as RoutedEvent)), context);
    expect(await pipeline.table.items("delivery")).toHaveLength(0);
    await call({ method: "PATCH", path: `/api/v2/webhooks/${id}`, body: { enabled: true } });

    await replayTo(id, { since: at("09:00:00.000") });
    await fanOut(sqsRecords(busEnvelope(appEvents().at(-1) as RoutedEvent)), context);

    const items = await pipeline.table.items("delivery");
    expect(items.map((item) => item.id)).toEqual([deliveryId(eventId, { type: "webhook", id }, 1)]);
  });

  it("refuses a disabled, unknown or another app's subscription, and a bad body, replaying nothing", async () => {
    await triggerAt(at("09:00:00.000"));
    const id = await webhook();
    const disabled = await webhook({ enabled: false });
    const other = await freshApp(pipeline, clock);
    const since = at("00:00:00.000");
    const published = appEvents().length;
    const cases = [
      [call, disabled, { since }, 409],
      [call, "sub_01JD0000000000000000000000", { since }, 404],
      [call, "nope", { since }, 404],
      [other.call, id, { since }, 404],
      [call, id, {}, 400],
      [call, id, { since: "yesterday" }, 400],
      [call, id, { since, until: "2026-11-22T00:00:00.000Z" }, 400],
      [call, id, { since, limit: 5 }, 400],
    ] as const;
    for (const [invoke, target, body, status] of cases) {
      const answer = await invoke({
        method: "POST",
        path: `/api/v2/webhooks/${target}/replay`,
        body,
      });
      expect([target, body, answer.status]).toEqual([target, body, status]);
    }
    expect(appEvents()).toHaveLength(published);
  });

  it("runs no workflow: the runner's bus rule leaves out events replayed to one subscription", () => {
    const rule = BUS_RULES.find((candidate) => candidate.consumer === "runner");
    const pattern = parseEventPattern(rule?.pattern, "rule");
    const envelope = (detail: Record<string, unknown>) => ({ source: "switchyard.app", detail });
    expect(matchesPattern(pattern, envelope({ event_id: "evt_1" }))).toBe(true);
    expect(matchesPattern(pattern, envelope({ event_id: "evt_1", replay: 1 }))).toBe(true);
    expect(matchesPattern(pattern, envelope({ event_id: "evt_1", replay_to: "sub_1" }))).toBe(
      false,
    );
  });
});

/** Routes what the bus took as the webhook fan-out would: the deliveries' ids. */
async function routeToWebhooks(events: RoutedEvent[]) {
  const fanOut = createFanOutHandler({ store, queue: pipeline.messaging.queue, clock });
  await fanOut(sqsRecords(...events.map((event) => busEnvelope(event))), context);
  return (await pipeline.table.items("delivery")).map((item) => String(item.id)).sort();
}
