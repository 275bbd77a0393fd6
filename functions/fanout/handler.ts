import middy from "@middy/core";
import type { EventBridgeEvent } from "aws-lambda";
import { queueFor, storeFor } from "../adapters/index.ts";
import { config } from "../config.ts";
import { systemClock } from "../core/clock.ts";
import type { RoutedEvent } from "../core/model.ts";
import { type FanOutDeps, fanOut } from "../core/services/fan-out.ts";
import { createLogger } from "../logger.ts";

/**
 * The bus target that routes each event to its subscriptions. Any failure is thrown, so
 * EventBridge retries the target (and, after its retry policy, parks the event in the
 * target's dead-letter queue) instead of the event being lost.
 */
export function createFanOutHandler(deps: FanOutDeps) {
  const logger = createLogger("fanout");
  return middy(async (event: EventBridgeEvent<string, RoutedEvent>) => {
    const routed = event.detail;
    if (routed?.v !== 1 || typeof routed.app_id !== "string") {
      throw new Error(`event ${event.id} is not a Switchyard event of version 1`);
    }
    const { queued } = await fanOut(deps, routed);
    logger.info("routed", { event_id: routed.event_id, type: routed.type, queued });
    return { queued };
  });
}

const settings = config();
export const handler = createFanOutHandler({
  store: storeFor(settings),
  queue: queueFor(settings),
  clock: systemClock,
});
