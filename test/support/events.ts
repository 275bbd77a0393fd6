import type { EventBridgeEvent } from "aws-lambda";
import type { RoutedEvent } from "../../functions/core/model.ts";

/** A routed app event as the trigger puts it on the bus. */
export function appEvent(appId: string, overrides: Partial<RoutedEvent> = {}): RoutedEvent {
  return {
    v: 1,
    app_id: appId,
    event_id: "evt_01JD0000000000000000000000",
    type: "contact_created",
    platform: false,
    linked_account_id: "acme",
    timestamp: "2026-11-23T01:28:00.000Z",
    payload: { first_name: "Mark", address: { pincode: 560103 } },
    ...overrides,
  };
}

/** The envelope EventBridge hands a target. */
export function busEnvelope(detail: RoutedEvent): EventBridgeEvent<string, RoutedEvent> {
  return {
    version: "0",
    id: "eb-1",
    "detail-type": detail.type,
    source: detail.platform ? "switchyard.platform" : "switchyard.app",
    account: "123456789012",
    time: detail.timestamp,
    region: "us-east-1",
    resources: [],
    detail,
  };
}
