import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { AwsSettings } from "../../config.ts";
import { clientOptions } from "./options.ts";

/** The EventBridge client. */
export function createEventBridgeClient(settings: AwsSettings): EventBridgeClient {
  return new EventBridgeClient(clientOptions(settings, "eventbridge"));
}
