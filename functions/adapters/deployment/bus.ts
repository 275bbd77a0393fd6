import type { Config } from "../../config.ts";
import type { EventPublisher } from "../../core/ports.ts";
import { onFirstUse } from "../on-first-use.ts";

/**
 * The EventBridge bus of this deployment. Its SDK and client are loaded at the first publish,
 * so a function that publishes only now and then (a platform notice) starts without them.
 */
export function busFor(config: Config): EventPublisher {
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
