import type { Config } from "../../config.ts";
import type { EventPublisher } from "../../core/ports.ts";
import { onFirstUse } from "../on-first-use.ts";

/**
 * The EventBridge bus of this deployment, for a function that publishes only now and then (a
 * platform notice): its SDK and client are loaded at the first publish, so a cold start that
 * does not publish does without them.
 */
export function lazyBusFor(config: Config): EventPublisher {
  const bus = onFirstUse(async () => {
    const [{ createEventPublisher }, { createEventBridgeClient }] = await Promise.all([
      import("../event-publisher.ts"),
      import("../clients/eventbridge.ts"),
    ]);
    return createEventPublisher(createEventBridgeClient(config.aws), config.busName);
  });
  return {
    publish: async (events) => (await bus()).publish(events),
    publishEach: async (events) => (await bus()).publishEach(events),
  };
}
