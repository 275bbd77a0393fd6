import type { DeliveryStatus, DeliveryStatusReason } from "./delivery-status.ts";
import type {
  App,
  Attempt,
  Delivery,
  DeliveryMessage,
  DeliverySummary,
  EventDefinition,
  Page,
  PageRequest,
  RoutedEvent,
  SealedSecret,
  Subscription,
  SubscriptionHealth,
  Workflow,
} from "./model.ts";
import type { Lane } from "./subscription-health.ts";

/**
 * What the domain needs from the outside world. Adapters implement these; services take them
 * as arguments, so the domain never imports an AWS SDK.
 */
export interface AppStore {
  findAppByKeyHash(keyHash: string): Promise<App | null>;
  createApp(app: App, keyHash: string): Promise<void>;
}

export interface DefinitionStore {
  /** False when the slug is taken. */
  createDefinition(appId: string, definition: EventDefinition): Promise<boolean>;
  getDefinition(appId: string, slug: string): Promise<EventDefinition | null>;
  findDefinitionByName(appId: string, name: string): Promise<EventDefinition | null>;
  listDefinitions(appId: string, page: PageRequest): Promise<Page<EventDefinition>>;
  /** Replaces a definition that exists; false when it does not. */
  replaceDefinition(appId: string, definition: EventDefinition): Promise<boolean>;
  deleteDefinition(appId: string, slug: string): Promise<boolean>;
}

export interface SubscriptionStore {
  /** `consistent` reads a write made a moment ago for sure (at twice the read cost). */
  getSubscription(appId: string, id: string, consistent?: boolean): Promise<Subscription | null>;
  listSubscriptions(appId: string, page: PageRequest): Promise<Page<Subscription>>;
  /** Every subscription of the app, for routing. */
  allSubscriptions(appId: string): Promise<Subscription[]>;
  /** Creates a subscription at version 1. */
  createSubscription(appId: string, subscription: Subscription): Promise<void>;
  /**
   * Writes back a subscription read at `subscription.version` (absent: 0), raising its
   * version; false when it is gone or was written since it was read (re-read to tell which).
   */
  replaceSubscription(appId: string, subscription: Subscription): Promise<boolean>;
  deleteSubscription(appId: string, id: string): Promise<boolean>;
}

export interface WorkflowStore {
  getWorkflow(appId: string, id: string): Promise<Workflow | null>;
  listWorkflows(appId: string, page: PageRequest): Promise<Page<Workflow>>;
  /** Every workflow of the app, for routing. */
  allWorkflows(appId: string): Promise<Workflow[]>;
  /** Creates a workflow at version 1. */
  createWorkflow(appId: string, workflow: Workflow): Promise<void>;
  /** As `replaceSubscription`: false when it is gone or was written since it was read. */
  replaceWorkflow(appId: string, workflow: Workflow): Promise<boolean>;
  deleteWorkflow(appId: string, id: string): Promise<boolean>;
}

export interface StoredEvent extends RoutedEvent {
  payload: NonNullable<RoutedEvent["payload"]>;
}

export interface EventStore {
  putEvent(event: StoredEvent): Promise<void>;
  getEvent(appId: string, eventId: string): Promise<StoredEvent | null>;
  deleteEvent(appId: string, eventId: string): Promise<void>;
  /** Counts one more replay of a stored event and answers its number; null when it is gone. */
  nextReplay(appId: string, eventId: string): Promise<number | null>;
  /**
   * Up to about `limit` of the app's events of a window, oldest first, after the event `after`
   * when given; `next` is where to continue when more may follow (a call may answer fewer).
   */
  oldestEvents(
    appId: string,
    window: TimeWindow,
    limit: number,
    after?: string,
  ): Promise<{ events: StoredEvent[]; next: string | undefined }>;
}

/** A span of creation times, both ends inclusive; open where a bound is absent. */
export interface TimeWindow {
  since?: Date | undefined;
  until?: Date | undefined;
}

export interface IdempotencyRecord {
  key: string;
  body_hash: string;
  /** The one event this key stands for; every request with the key answers it. */
  event_id: string;
  state: "pending" | "done";
  /** The key's first use: it is remembered for the window from then. */
  created_at: string;
  /**
   * Until when a pending claim belongs to the request holding it. After that the request is
   * gone (it died, or failed not knowing whether the bus took its event) and a retry with the
   * key may take the claim over.
   */
  lease_until: string;
}

export interface IdempotencyStore {
  /**
   * Claims `key` for this request unless a live claim (younger than the window) exists; then
   * answers that claim instead, pending or done, whatever its lease.
   */
  claimIdempotencyKey(
    appId: string,
    record: IdempotencyRecord,
    windowMs: number,
  ): Promise<{ claimed: true } | { claimed: false; existing: IdempotencyRecord }>;
  /**
   * Replaces a pending claim by `next` if it is still exactly `expected` (same event and
   * lease); false when another request changed it first. Takes a claim over, or ends a lease.
   */
  replaceIdempotencyClaim(
    appId: string,
    expected: IdempotencyRecord,
    next: IdempotencyRecord,
    windowMs: number,
  ): Promise<boolean>;
  /** Marks this request's claim answered; a claim that is no longer its own is left alone. */
  completeIdempotencyKey(appId: string, key: string, eventId: string): Promise<void>;
  releaseIdempotencyKey(appId: string, key: string): Promise<void>;
}

export interface DeliveryFilter {
  status?: DeliveryStatus | undefined;
  webhook_id?: string | undefined;
  workflow_id?: string | undefined;
  event_id?: string | undefined;
}

/** Which dead letters a redrive or purge takes (SPEC §2.5): by target and creation time. */
export interface DeadLetterSelection extends TimeWindow {
  targetId?: string | undefined;
}

export interface AttemptUpdate {
  attempt: Attempt;
  status: DeliveryStatus;
  /** The attempt count the delivery must still have, so two deliverers never share a number. */
  expectedAttemptCount: number;
  /**
   * The carrier making the attempt (its queue message's id, or its slow-lane token): it
   * becomes (or must already be) the delivery's owner.
   */
  messageId: string;
  /**
   * The carrier that forwarded this one to the slow lane: while it is still the owner, this
   * attempt takes the delivery over from it.
   */
  takesOverFrom?: string;
  /** The URL the attempt went to (the subscription's now); the delivery's is kept when absent. */
  url?: string;
  /** When the next attempt is due (a retry's backoff); absent or null: none is. */
  nextAttemptAt?: string | null;
}

export interface DeliveryStore {
  /** False when the delivery exists already (a fan-out that ran twice). */
  createDelivery(delivery: Delivery): Promise<boolean>;
  /**
   * Deletes a delivery that is still pending without an attempt: one written for an event
   * the trigger undid before queueing it. Anything else is left as it is.
   */
  withdrawDelivery(appId: string, id: string): Promise<void>;
  getDelivery(appId: string, id: string): Promise<Delivery | null>;
  /** A delivery and every attempt it made, from one read. */
  getDeliveryDetail(
    appId: string,
    id: string,
  ): Promise<{ delivery: Delivery; attempts: Attempt[] } | null>;
  /**
   * Reads many deliveries together (a deliverer's batch), by id; one missing, or not read in
   * time, is absent from the answer and is for the caller to read alone.
   */
  getDeliveries(keys: { appId: string; id: string }[]): Promise<Map<string, Delivery>>;
  listAttempts(appId: string, id: string): Promise<Attempt[]>;
  /** Records an attempt; false when another deliverer recorded one first. */
  recordAttempt(appId: string, id: string, update: AttemptUpdate): Promise<boolean>;
  /**
   * Sends an ended delivery out again (a retry, a redrive): `pending`, with a fresh round of
   * retries from its attempt count, owned by `carrier` (its retry message's token). False when
   * it no longer has `from`'s status and attempt count (another call, or its message, did it).
   */
  reopenDelivery(
    appId: string,
    id: string,
    from: { status: DeliveryStatus; attemptCount: number },
    carrier: string,
    at: string,
  ): Promise<boolean>;
  /**
   * The oldest dead letters `selection` matches after the delivery id `after`, at most `limit`;
   * `next`, when more may match, is the id to continue after.
   */
  oldestDeadLetters(
    appId: string,
    selection: DeadLetterSelection,
    limit: number,
    after?: string,
  ): Promise<{ deliveries: DeliverySummary[]; next: string | undefined }>;
  /**
   * Keeps a send slot taken for the delivery's next attempt (a rate limit's, SPEC §3.1), so its
   * message can come back for it: in place of the slot it was read with (`keptMs`, undefined
   * for none). False when an attempt was made since `expectedAttemptCount`, or another copy of
   * its message kept a slot meanwhile.
   */
  keepSendSlot(
    appId: string,
    id: string,
    slotMs: number,
    keptMs: number | undefined,
    expectedAttemptCount: number,
  ): Promise<boolean>;
  /** A purge: a dead-lettered delivery becomes `discarded`; false when it is not dead-lettered. */
  discardDeadLetter(appId: string, id: string, at: string): Promise<boolean>;
  /** Sets the status; `reason` says why it ended (SPEC §2.5), and is cleared when absent. */
  setDeliveryStatus(
    appId: string,
    id: string,
    status: DeliveryStatus,
    at: string,
    reason?: DeliveryStatusReason,
  ): Promise<void>;
  listDeliveries(
    appId: string,
    filter: DeliveryFilter,
    page: PageRequest,
  ): Promise<Page<DeliverySummary>>;
  /** As `listDeliveries`, each with its request body (a workflow's runs show it). */
  listDeliveriesWithBodies(
    appId: string,
    filter: DeliveryFilter,
    page: PageRequest,
  ): Promise<Page<Delivery>>;
}

/**
 * Each subscription's health record (pausing and lanes, SPEC §3). A healthy subscription has
 * none, and its deliveries' success path writes nothing here.
 */
export interface SubscriptionHealthStore {
  /** The record, or `HEALTHY` when there is none. */
  getHealth(appId: string, subscriptionId: string): Promise<SubscriptionHealth>;
  /**
   * Counts one more failed attempt in a row, and the streak's start (`now`) at the first;
   * answers the record after it.
   */
  recordFailure(appId: string, subscriptionId: string, now: string): Promise<SubscriptionHealth>;
  /** Pauses until `until` unless it is paused already (then false: another deliverer did). */
  pause(appId: string, subscriptionId: string, until: string): Promise<boolean>;
  /**
   * Claims the probe of the pause that ended at `pausedUntil`, leased until `leaseUntil`;
   * false when another delivery holds a live lease or the pause has changed.
   */
  claimProbe(
    appId: string,
    subscriptionId: string,
    pausedUntil: string,
    leaseUntil: string,
    now: string,
  ): Promise<boolean>;
  /** The probe holding `leaseUntil` failed: one more failure, and one more pause until `until`. */
  failProbe(
    appId: string,
    subscriptionId: string,
    leaseUntil: string,
    until: string,
    now: string,
  ): Promise<void>;
  /**
   * Marks the subscription slow until `until`, unless a mark that is still live (after `now`)
   * exists or the subscription has failures or a pause: false then.
   */
  markSlow(appId: string, subscriptionId: string, until: string, now: string): Promise<boolean>;
  /**
   * The receiver answered: healthy again. The record goes, unless its rate limiter holds
   * slots still to come, which stay.
   */
  resume(appId: string, subscriptionId: string): Promise<void>;
  /** The subscription is gone: its record goes, limiter and all. */
  dropHealth(appId: string, subscriptionId: string): Promise<void>;
  /**
   * Takes the next free send slot of a rate-limited subscription (SPEC §3.1): `now` when it is
   * idle, else the slot after the last one taken; the next free one moves `intervalMs` on.
   * Answers the slot (epoch ms). `idle` says which of the two the caller expects, to try first.
   */
  takeSendSlot(
    appId: string,
    subscriptionId: string,
    nowMs: number,
    intervalMs: number,
    idle: boolean,
  ): Promise<number>;
}

export interface Store
  extends AppStore,
    DefinitionStore,
    SubscriptionStore,
    SubscriptionHealthStore,
    WorkflowStore,
    EventStore,
    IdempotencyStore,
    DeliveryStore {}

/**
 * The event bus (EventBridge). `publish` throws when any event could not be put after retries:
 * `PublishRejected` when the bus answered that it refused every one of them, so none can ever
 * reach a subscriber; any other error when some may have been taken (a timeout, a network
 * error, a 5xx, retryable failures that did not clear).
 */
export interface EventPublisher {
  publish(events: RoutedEvent[]): Promise<void>;
  /**
   * Puts the events on the bus and answers each one's outcome, in order: undefined when the
   * bus took it, `PublishRejected` when it refused it for good, any other error when it may
   * have been taken. Throws only for a fault before any call was made.
   */
  publishEach(events: RoutedEvent[]): Promise<(Error | undefined)[]>;
}

/** The bus refused the events for good (e.g. a validation error): none of them was taken. */
export class PublishRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PublishRejected";
  }
}

/**
 * The delivery queue (the main lane), the slow lane's queue and their dead-letter queue, and
 * the ordered lane's FIFO queue and FIFO dead-letter queue (SQS).
 */
export interface DeliveryQueue {
  /**
   * Throws when any message could not be sent after retries. Messages that name a group take
   * the FIFO queue, each group's in the order given.
   */
  enqueue(messages: DeliveryMessage[]): Promise<void>;
  /**
   * Sends the message (with its `dead_letter` stamp) to the dead-letter queue: the FIFO one
   * when it names a group.
   */
  moveToDeadLetterQueue(message: DeliveryMessage): Promise<void>;
  /**
   * Hides a message received from `lane`'s queue for `seconds`: the backoff before its next
   * attempt, or a hold.
   */
  delay(lane: Lane, receiptHandle: string, seconds: number): Promise<void>;
  /**
   * Makes messages received from `lane`'s queue visible again at once: the ordered lane's
   * later messages of a group whose earlier one must come back first.
   */
  release(lane: Lane, receiptHandles: string[]): Promise<void>;
  /** Sends the message (carrying its slow-lane ticket) to the slow lane's queue. */
  forwardToSlowLane(message: DeliveryMessage): Promise<void>;
  /** The lane of the queue with this ARN (a record's `eventSourceARN`). */
  laneOf(queueArn: string): Lane;
}

/** One outbound webhook or workflow request, already signed. */
export interface OutboundRequest {
  url: string;
  method: Delivery["method"];
  headers: Record<string, string>;
  body: string;
}

/**
 * How an attempt went. `error` is null only on a 2xx within the timeout; `statusCode` is
 * kept when the headers arrived but the exchange failed later (e.g. a body read timed out).
 */
export interface SendResult {
  statusCode: number | null;
  durationMs: number;
  /** The first 1 KiB of the response body, decoded as UTF-8. */
  responseBody: string;
  error: string | null;
  /** The answer's `Retry-After` header, as given. */
  retryAfter?: string | undefined;
}

export interface WebhookSender {
  send(request: OutboundRequest): Promise<SendResult>;
}

/**
 * Seals signing secrets for the table and opens them again (SPEC §2.3): envelope encryption
 * under a key kept outside the table. `open` throws `UnreadableSecret` (core/secrets.ts) when
 * the record cannot be decrypted with this deployment's key — tampered with, or sealed under a
 * key that is gone; any other error is a fault worth trying again.
 */
export interface SecretVault {
  seal(plaintext: string): Promise<SealedSecret>;
  open(sealed: SealedSecret): Promise<string>;
}
