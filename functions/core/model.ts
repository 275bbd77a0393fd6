import type { DeliveryStatus, DeliveryStatusReason } from "./delivery-status.ts";
import type { DeliveryTarget } from "./ids.ts";
import type { JsonObject, JsonValue } from "./json.ts";

/** A tenant. Its API key is stored only as a SHA-256 hash. */
export interface App {
  id: string;
  name: string;
  created_at: string;
}

export interface EventDefinition {
  slug: string;
  name: string;
  description: string | null;
  sample_payload: JsonObject;
  strict: boolean;
  created_at: string;
  updated_at: string;
}

/**
 * A signing secret as the table keeps it (SPEC §2.3): AES-256-GCM under a data key that is
 * itself wrapped by a key kept outside the table (KMS in the cloud, a key file locally).
 * Only the `SecretVault` reads or writes its fields; all are base64 but `v`.
 */
export interface SealedSecret {
  v: 1;
  /** The data key, wrapped by the key outside the table. */
  key: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

/**
 * One live signing secret; the one before a rotation keeps signing until `expires_at`. It is
 * stored `sealed`; `secret` in clear only on items written before secrets were sealed, until
 * the subscription is next written (PATCH or a rotation seals it).
 */
export type SigningSecret = { created_at: string; expires_at: string | null } & (
  | { sealed: SealedSecret }
  | { secret: string }
);

/** Why Switchyard disabled a subscription (SPEC §3.1, §4 `webhook.disabled`). */
export type DisabledReason = "gone" | "failing";

export interface Subscription {
  id: string;
  url: string;
  events: string[];
  name: string | null;
  description: string | null;
  linked_account_ids: string[] | null;
  filter: JsonObject | null;
  enabled: boolean;
  /**
   * Static headers sent with every delivery (SPEC §3.1), lower-case names, none of Switchyard's
   * own. Absent on subscriptions saved before there were any: none.
   */
  headers?: Record<string, string>;
  /**
   * Why Switchyard disabled it (SPEC §3.1): `gone` (a 410 answer) or `failing` (failing since
   * `failing_since` for too long). Absent while enabled, or when a user disabled it.
   */
  disabled_reason?: DisabledReason | null;
  /** At most this many requests a second (SPEC §3.1); absent or null: no limit. */
  rate_limit?: number | null;
  /**
   * Sequential delivery in trigger order (SPEC §3.1): its deliveries take the FIFO queue, one
   * at a time. Absent on subscriptions saved before there was a choice: unordered.
   */
  ordered?: boolean;
  /** With `disabled_reason: failing`: when its failures in a row began. */
  failing_since?: string | null;
  /** The delivery whose attempt disabled it: that one's turn tells subscribers. Never shown. */
  disabled_by?: string | null;
  /** When Switchyard disabled it: the time of its `webhook.disabled`. Never shown. */
  disabled_at?: string | null;
  created_at: string;
  updated_at: string;
  /** Newest first. */
  secrets: SigningSecret[];
  /**
   * Raised by every write of the subscription; a rewrite succeeds only while the item still
   * holds the version it was read at. Absent on items older than versions: they count as 0.
   */
  version?: number;
}

/** The methods a workflow's action may use (SPEC §2.4); GET and DELETE send no body. */
export const HTTP_METHODS = ["POST", "PUT", "PATCH", "GET", "DELETE"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** A workflow's action (SPEC §2.4): one HTTP request, rendered from templates per event. */
export interface HttpAction {
  type: "http";
  /** Checked as a webhook's URL is, when saved and when sent; never templated. */
  url: string;
  method: HttpMethod;
  /** Lower-case names; values may hold placeholders. */
  headers: Record<string, string>;
  /** The body template; null for GET and DELETE. */
  body: JsonValue | null;
}

/** Runs its action for each event of its type that its scoping and filter let through. */
export interface Workflow {
  id: string;
  name: string;
  description: string | null;
  /** The slug of the event definition it runs on. */
  event: string;
  enabled: boolean;
  linked_account_ids: string[] | null;
  filter: JsonObject | null;
  action: HttpAction;
  created_at: string;
  updated_at: string;
  /** Newest first: its action requests are signed like webhooks. */
  secrets: SigningSecret[];
  /** As a subscription's: raised by every write, which succeeds only from the version read. */
  version?: number;
}

/**
 * How a subscription's receiver has been doing, kept apart from the subscription (PATCH
 * rewrites that; this changes with every failed attempt). No record means healthy.
 */
export interface SubscriptionHealth {
  /** Failed attempts in a row; a success sets it back to 0. */
  failures: number;
  /** When the failures in a row began (SPEC §3.1: long enough, and it is disabled). */
  failing_since: string | null;
  /** A rate-limited subscription's next free send slot (epoch ms), when it has one. */
  next_send_at?: number;
  /** While set and in the future, deliveries are held without a request. */
  paused_until: string | null;
  /** How many pauses in a row: each probe that fails doubles the next pause. */
  pauses: number;
  /** While set and in the future, one delivery is probing the receiver; the rest wait. */
  probe_until: string | null;
  /**
   * While set and in the future, the receiver is known to be slow (a request to it was still
   * unanswered after a second): its deliveries take the slow lane, as a failing one's do.
   */
  slow_until: string | null;
}

/** One event as it travels on the bus and is stored for replay. */
export interface RoutedEvent {
  v: 1;
  app_id: string;
  event_id: string;
  type: string;
  /** Platform events (SPEC §4) are emitted by Switchyard itself. */
  platform: boolean;
  linked_account_id: string | null;
  timestamp: string;
  /** Absent when the payload was too large for a bus entry: read it from the store. */
  payload?: JsonObject;
  /**
   * Which replay of the event this is (`POST /api/v2/events/{id}/replay`): 1, 2, …; absent for
   * the event as triggered. Its deliveries' ids derive from it, so each replay makes new ones.
   */
  replay?: number;
  /**
   * The one subscription a replay goes to (`POST /api/v2/webhooks/{id}/replay`); absent when
   * the event goes to whatever matches it. No workflow runs for such a replay.
   */
  replay_to?: string;
  /**
   * The ordered subscriptions the trigger routed the event to itself, in trigger order (SPEC
   * §3.1): the fan-out leaves them out.
   */
  ordered_to?: string[];
}

export interface Attempt {
  attempt: number;
  at: string;
  status_code: number | null;
  duration_ms: number;
  response_body: string | null;
  error: string | null;
  /**
   * Seconds a 429 or 503 answer asked to wait with `Retry-After` (SPEC §3.1), at most 12 h;
   * present only on such an attempt. The next attempt waited at least this long.
   */
  retry_after?: number;
}

export interface Delivery {
  id: string;
  app_id: string;
  event_id: string;
  event_type: string;
  platform: boolean;
  linked_account_id: string | null;
  target: DeliveryTarget;
  url: string;
  method: HttpMethod;
  body: string;
  status: DeliveryStatus;
  attempt_count: number;
  /** attempt_count when the current round of retries began (a manual retry starts a new one). */
  round_started_at_attempt: number;
  /**
   * The queue message that carries this delivery, set by its first recorded attempt: its SQS
   * message id, or the token of its slow-lane ticket. Another copy (a fan-out the bus ran twice
   * queues one) is dropped, so it cannot skip the backoff.
   */
  owner_message_id?: string | null;
  /**
   * When the next attempt is due, while the delivery waits for a retry. SQS hides a message
   * for at most 12 hours from its receive, so a longer wait comes back early and is hidden
   * again until this time, without an attempt.
   */
  next_attempt_at?: string | null;
  /**
   * The send slot (epoch ms) its rate-limited subscription gave its next attempt, kept while
   * its message is hidden until shortly before it (SPEC §3.1).
   */
  rate_slot?: number;
  /** Why it ended without a success (`dead_lettered`, `discarded`); null otherwise. */
  status_reason?: DeliveryStatusReason | null;
  /**
   * Made for an ordered subscription (SPEC §3.1): its messages take the FIFO queue, in its
   * subscription's message group, whatever the subscription says later.
   */
  ordered?: boolean;
  /** Set on a workflow's delivery: the run it carries out (SPEC §2.4). */
  run?: RunRecord;
  created_at: string;
  updated_at: string;
  last_attempt: Attempt | null;
}

/**
 * What a workflow's delivery keeps of its run: the run is the delivery (one event, one
 * workflow, one rendered request), so its status is the delivery's (SPEC §2.4 runs).
 */
export interface RunRecord {
  id: string;
  /** The workflow's name when it ran, for its platform events. */
  workflow_name: string;
  /** The rendered headers, sent with every attempt (they may hold credentials: never shown). */
  headers: Record<string, string>;
  /** Why the request could not be rendered (a missing path); null when it was. */
  error: string | null;
}

/** A delivery as lists carry it: without its request body, which is kept apart. */
export type DeliverySummary = Omit<Delivery, "body">;

/** The SQS message of one delivery: small and versioned; the delivery itself is in the table. */
export interface DeliveryMessage {
  v: 1;
  app_id: string;
  delivery_id: string;
  /**
   * Set on the copy the deliverer moves to the dead-letter queue itself, so the dead-letter
   * consumer can finish the job if the deliverer stopped before marking the delivery. Absent on
   * a message the queue's own redrive moved there.
   */
  dead_letter?: DeadLetterStamp;
  /**
   * Set on a message the deliverer forwarded to the slow lane, where failing, paused and slow
   * subscriptions' deliveries go (SPEC §3: one subscription's failures never slow another's).
   */
  slow_lane?: SlowLaneTicket;
  /**
   * Set on the message a retry or redrive queues (SPEC §2.5): it carries the delivery under its
   * own token, and reopens the delivery itself if the call that sent it stopped before doing so.
   */
  retry?: RetryTicket;
  /**
   * Set on an ordered delivery's message: the FIFO message group it waits its turn in (its
   * subscription's, see `orderGroup`). Its queues are the FIFO ones.
   */
  group?: string;
}

/** Which ended delivery a retry's message reopens, and under which carrier token. */
export interface RetryTicket {
  carrier: string;
  /** The status and attempt count the delivery had when the retry was asked for. */
  status: DeliveryStatus;
  attempt_count: number;
}

/**
 * Who carries a delivery that was forwarded to the slow lane. The forwarded message cannot know
 * its own SQS id before it is sent, so it carries a token of its own, and it may take the
 * delivery over from the message that forwarded it.
 */
export interface SlowLaneTicket {
  /** The carrier id this message records attempts under (instead of its SQS message id). */
  carrier: string;
  /** The carrier id of the delivery-queue message that forwarded it. */
  from: string;
}

/** Why and when the deliverer dead-lettered a delivery, as its dead-letter message says. */
export interface DeadLetterStamp {
  reason: DeliveryStatusReason;
  /** The deliverer's time of the move; a delivery updated after it has gone on since. */
  at: string;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}
