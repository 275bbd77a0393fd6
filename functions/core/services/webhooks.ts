import type { Clock } from "../clock.ts";
import { BadRequest, NotFound } from "../errors.ts";
import { parseEventPattern } from "../event-pattern.ts";
import { isId, newId } from "../ids.ts";
import type { PageRequest, Subscription } from "../model.ts";
import { checkedHeaders } from "../outbound-headers.ts";
import { ALL_EVENTS, isPlatformEventType } from "../platform-events.ts";
import type {
  DefinitionStore,
  SecretVault,
  SubscriptionHealthStore,
  SubscriptionStore,
} from "../ports.ts";
import { createWebhookBody, patchWebhookBody } from "../schemas.ts";
import { webhookView } from "../subscription-view.ts";
import { parseInput } from "../validation.ts";
import {
  newSecret,
  rewrite,
  rotateSecret,
  type SignedRecords,
  sealedSecrets,
  shownSecret,
} from "./signed-records.ts";

export interface WebhookDeps {
  store: SubscriptionStore & SubscriptionHealthStore & DefinitionStore;
  clock: Clock;
  /** Checks a URL against the deployment's policy and answers it normalized, or throws a 400. */
  checkUrl: (url: string) => Promise<string>;
  /** Seals secrets before they are stored and opens them for the secret route. */
  vault: SecretVault;
}

/** How the shared rewrite and secret routes read and write subscriptions. */
const subscriptions = (deps: WebhookDeps): SignedRecords<Subscription> => ({
  label: (id) => `webhook "${id}"`,
  mustExist: (appId, id) => mustExist(deps.store, appId, id),
  replace: (appId, subscription) => deps.store.replaceSubscription(appId, subscription),
});

export async function createWebhook(deps: WebhookDeps, appId: string, input: unknown) {
  const body = parseInput(createWebhookBody, input);
  const filter = body.filter === undefined ? null : parseEventPattern(body.filter);
  await checkEvents(deps.store, appId, body.events);
  const url = await deps.checkUrl(body.url);
  const now = deps.clock.now();
  const { secret, sealed } = await newSecret(deps.vault, deps.clock);
  const subscription: Subscription = {
    id: newId("subscription", now.getTime()),
    url,
    events: unique(body.events),
    name: body.name ?? null,
    description: body.description ?? null,
    linked_account_ids: body.linked_account_ids ? unique(body.linked_account_ids) : null,
    filter: filter as Subscription["filter"],
    enabled: body.enabled ?? true,
    headers: checkedHeaders(body.headers ?? {}, "headers"),
    rate_limit: body.rate_limit ?? null,
    ordered: body.ordered ?? false,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    secrets: [sealed],
  };
  await deps.store.createSubscription(appId, subscription);
  return { ...webhookView(subscription), secret };
}

/**
 * One subscription, with `paused_until` while it is paused (SPEC §3): until then, and until a
 * probe succeeds after it, its deliveries are held.
 */
export async function getWebhook(deps: WebhookDeps, appId: string, id: string) {
  const [subscription, health] = await Promise.all([
    mustExist(deps.store, appId, id),
    isId("subscription", id) ? deps.store.getHealth(appId, id) : null,
  ]);
  return {
    ...webhookView(subscription, health ?? undefined),
    paused_until: health?.paused_until ?? null,
  };
}

export async function listWebhooks(deps: WebhookDeps, appId: string, page: PageRequest) {
  const result = await deps.store.listSubscriptions(appId, page);
  return { data: result.data.map((s) => webhookView(s)), next_cursor: result.next_cursor };
}

export async function patchWebhook(deps: WebhookDeps, appId: string, id: string, input: unknown) {
  const body = parseInput(patchWebhookBody, input);
  const filter = body.filter ? parseEventPattern(body.filter) : body.filter;
  const first = await mustExist(deps.store, appId, id);
  if (body.events) await checkEvents(deps.store, appId, body.events);
  const url = body.url === undefined ? undefined : await deps.checkUrl(body.url);
  const headers =
    body.headers === undefined ? undefined : checkedHeaders(body.headers ?? {}, "headers");
  const updated = await rewrite(subscriptions(deps), appId, first, async (current) => ({
    ...current,
    // Enabled again by hand: what Switchyard disabled it for is over (SPEC §3.1).
    ...(body.enabled === true && {
      disabled_reason: null,
      failing_since: null,
      disabled_by: null,
      disabled_at: null,
    }),
    ...(url !== undefined && { url }),
    ...(body.events !== undefined && { events: unique(body.events) }),
    ...(body.name !== undefined && { name: body.name }),
    ...(body.description !== undefined && { description: body.description }),
    ...(body.linked_account_ids !== undefined && {
      linked_account_ids: body.linked_account_ids && unique(body.linked_account_ids),
    }),
    ...(filter !== undefined && { filter: filter as Subscription["filter"] }),
    ...(body.enabled !== undefined && { enabled: body.enabled }),
    ...(headers !== undefined && { headers }),
    ...(body.rate_limit !== undefined && { rate_limit: body.rate_limit }),
    // Applies to events triggered from now on: deliveries already made keep their queue.
    ...(body.ordered !== undefined && { ordered: body.ordered }),
    secrets: await sealedSecrets(deps.vault, current),
    updated_at: deps.clock.now().toISOString(),
  }));
  // …and its failure streak starts again from nothing.
  if (body.enabled === true && !first.enabled) await deps.store.resume(appId, id);
  return webhookView(updated);
}

export async function deleteWebhook(deps: WebhookDeps, appId: string, id: string) {
  if (!isId("subscription", id) || !(await deps.store.deleteSubscription(appId, id))) {
    throw notFound(id);
  }
  // Its health record has no one left to describe.
  await deps.store.dropHealth(appId, id);
}

export const getWebhookSecret = (deps: WebhookDeps, appId: string, id: string) =>
  shownSecret(subscriptions(deps), deps.vault, appId, id);

/** A new secret signs from now on; the previous one keeps signing for 24 h beside it. */
export const rotateWebhookSecret = (deps: WebhookDeps, appId: string, id: string) =>
  rotateSecret(subscriptions(deps), deps, appId, id);

async function mustExist(store: SubscriptionStore, appId: string, id: string) {
  const subscription = isId("subscription", id) ? await store.getSubscription(appId, id) : null;
  if (!subscription) throw notFound(id);
  return subscription;
}

const notFound = (id: string) => new NotFound(`webhook "${id}" not found`);

/** Each entry is `*`, a platform event type, or the slug of one of the app's definitions. */
async function checkEvents(store: DefinitionStore, appId: string, events: string[]) {
  // Looked up in parallel; the first unknown one in the caller's order is the one named.
  const known = await Promise.all(
    events.map(
      async (event) =>
        event === ALL_EVENTS ||
        isPlatformEventType(event) ||
        (await store.getDefinition(appId, event)) !== null,
    ),
  );
  const index = known.indexOf(false);
  if (index >= 0) throw new BadRequest(`events[${index}]: no event with slug "${events[index]}"`);
}

const unique = (values: string[]) => [...new Set(values)];
