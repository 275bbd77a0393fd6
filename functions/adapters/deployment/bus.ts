import type { Config } from "../../config.ts";
import type { EventPublisher } from "../../core/ports.ts";
import { createEventBridgeClient } from "../clients/eventbridge.ts";
import { createEventPublisher } from "../event-publisher.ts";

/** The EventBridge bus of this deployment, made at start (`lazyBusFor` makes it at first use). */
export function busFor(config: Config): EventPublisher {
  return createEventPublisher(createEventBridgeClient(config.aws), config.busName);
}
