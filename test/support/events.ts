import type { EventBridgeEvent, SQSEvent, SQSRecord } from "aws-lambda";
import { type DeliveryTarget, deliveryId } from "../../functions/core/ids.ts";
import type {
  Delivery,
  EventDefinition,
  RoutedEvent,
  Subscription,
  Workflow,
} from "../../functions/core/model.ts";

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

export const TEST_SECRET = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/** The definition of `contact_created` ("Contact Created"), not strict, with an empty sample. */
export function testDefinition(overrides: Partial<EventDefinition> = {}): EventDefinition {
  return {
    slug: "contact_created",
    name: "Contact Created",
    description: null,
    sample_payload: {},
    strict: false,
    created_at: "2026-11-23T01:00:00.000Z",
    updated_at: "2026-11-23T01:00:00.000Z",
    ...overrides,
  };
}

/** A subscription to `contact_created` at example.com, enabled, unfiltered. */
export function testSubscription(overrides: Partial<Subscription> = {}): Subscription {
  return {
    id: "sub_01JD0000000000000000000001",
    url: "https://example.com/hooks",
    events: ["contact_created"],
    name: null,
    description: null,
    linked_account_ids: null,
    filter: null,
    enabled: true,
    created_at: "2026-11-23T01:00:00.000Z",
    updated_at: "2026-11-23T01:00:00.000Z",
    secrets: [{ secret: TEST_SECRET, created_at: "2026-11-23T01:00:00.000Z", expires_at: null }],
    ...overrides,
  };
}

/**
 * A workflow on `contact_created` that posts a contact to crm.example.com, enabled, unscoped,
 * unfiltered; `action` fields are merged into its action.
 */
export function testWorkflow(
  overrides: Partial<Workflow> = {},
  action: Partial<Workflow["action"]> = {},
): Workflow {
  return {
    id: "wf_01JD0000000000000000000001",
    name: "Create CRM contact",
    description: null,
    event: "contact_created",
    enabled: true,
    linked_account_ids: null,
    filter: null,
    action: {
      type: "http",
      url: "https://crm.example.com/contacts",
      method: "POST",
      headers: { authorization: "Bearer {{linked_account_id}}" },
      body: { name: "{{payload.first_name}}", zip: "{{payload.address.pincode}}" },
      ...action,
    },
    created_at: "2026-11-23T01:00:00.000Z",
    updated_at: "2026-11-23T01:00:00.000Z",
    secrets: [{ secret: TEST_SECRET, created_at: "2026-11-23T01:00:00.000Z", expires_at: null }],
    ...overrides,
  };
}

/**
 * A pending delivery of `eventId` to `target` as the fan-out writes one (its id derived from
 * both), created at `createdAt`.
 */
export function testDelivery(
  appId: string,
  eventId: string,
  target: DeliveryTarget,
  overrides: Partial<Delivery> = {},
  createdAt = "2026-05-01T00:00:00.000Z",
): Delivery {
  return {
    id: deliveryId(eventId, target),
    app_id: appId,
    event_id: eventId,
    event_type: "contact_created",
    platform: false,
    linked_account_id: "acme",
    target,
    url: "https://hooks.example.com/in",
    method: "POST",
    body: '{"hello":"world"}',
    status: "pending",
    attempt_count: 0,
    round_started_at_attempt: 0,
    created_at: createdAt,
    updated_at: createdAt,
    last_attempt: null,
    ...overrides,
  };
}

/** The SQS event Lambda hands a queue's consumer: one record per body, ids `m-0`, `m-1`, … */
export function sqsRecords(...bodies: unknown[]): SQSEvent {
  return {
    Records: bodies.map((body, index) => ({
      messageId: `m-${index}`,
      receiptHandle: `r-${index}`,
      body: typeof body === "string" ? body : JSON.stringify(body),
      attributes: { ApproximateReceiveCount: "1" } as SQSRecord["attributes"],
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:queue",
      awsRegion: "us-east-1",
    })),
  };
}
