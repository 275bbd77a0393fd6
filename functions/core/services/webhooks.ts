import type { Clock } from "../clock.ts";
import { BadRequest, Conflict, NotFound } from "../errors.ts";
import { parseEventPattern } from "../event-pattern.ts";
import { isId, newId } from "../ids.ts";
import type { PageRequest, SigningSecret, Subscription } from "../model.ts";
import { ALL_EVENTS, isPlatformEventType } from "../platform-events.ts";
import type {
  DefinitionStore,
  SecretVault,
  SubscriptionHealthStore,
  SubscriptionStore,
} from "../ports.ts";
import { createWebhookBody, patchWebhookBody } from "../schemas.ts";
import { liveSecrets, openSecret, sealedForm, UnreadableSecret } from "../secrets.ts";
import { newSigningSecret } from "../sign.ts";
import { parseInput } from "../validation.ts";

/** After a rotation the old secret keeps signing alongside the new one for 24 h (§2.3). */
const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

/** Reads and writes of one change before a 409: each lost race re-reads and re-applies it. */
const REWRITE_TRIES = 3;

export interface WebhookDeps {
  store: SubscriptionStore & SubscriptionHealthStore & DefinitionStore;
  clock: Clock;
  /** Checks a URL against the deployment's policy and answers it normalized, or throws a 400. */
  checkUrl: (url: string) => Promise<string>;
  /** Seals secrets before they are stored and opens them for the secret route. */
  vault: SecretVault;
}

/** A subscription as lists and GET show it: never with its secrets (nor its write version). */
export function webhookView(subscription: Subscription) {
  const { secrets: _secrets, version: _version, ...view } = subscription;
  return view;
}

export async function createWebhook(deps: WebhookDeps, appId: string, input: unknown) {
  const body = parseInput(createWebhookBody, input);
  const filter = body.filter === undefined ? null : parseEventPattern(body.filter);
  await checkEvents(deps.store, appId, body.events);
  const url = await deps.checkUrl(body.url);
  const now = deps.clock.now();
  const secret = newSigningSecret();
  const subscription: Subscription = {
    id: newId("subscription", now.getTime()),
    url,
    events: unique(body.events),
    name: body.name ?? null,
    description: body.description ?? null,
    linked_account_ids: body.linked_account_ids ? unique(body.linked_account_ids) : null,
    filter: filter as Subscription["filter"],
    enabled: body.enabled ?? true,
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
    secrets: [
      { sealed: await deps.vault.seal(secret), created_at: now.toISOString(), expires_at: null },
    ],
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
  return { ...webhookView(subscription), paused_until: health?.paused_until ?? null };
}

export async function listWebhooks(deps: WebhookDeps, appId: string, page: PageRequest) {
  const result = await deps.store.listSubscriptions(appId, page);
  return { data: result.data.map(webhookView), next_cursor: result.next_cursor };
}

export async function patchWebhook(deps: WebhookDeps, appId: string, id: string, input: unknown) {
  const body = parseInput(patchWebhookBody, input);
  const filter = body.filter ? parseEventPattern(body.filter) : body.filter;
  const first = await mustExist(deps.store, appId, id);
  if (body.events) await checkEvents(deps.store, appId, body.events);
  const url = body.url === undefined ? undefined : await deps.checkUrl(body.url);
  const updated = await rewrite(deps, appId, first, async (current) => ({
    ...current,
    ...(url !== undefined && { url }),
    ...(body.events !== undefined && { events: unique(body.events) }),
    ...(body.name !== undefined && { name: body.name }),
    ...(body.description !== undefined && { description: body.description }),
    ...(body.linked_account_ids !== undefined && {
      linked_account_ids: body.linked_account_ids && unique(body.linked_account_ids),
    }),
    ...(filter !== undefined && { filter: filter as Subscription["filter"] }),
    ...(body.enabled !== undefined && { enabled: body.enabled }),
    secrets: await Promise.all(current.secrets.map((secret) => sealedForm(deps.vault, secret))),
    updated_at: deps.clock.now().toISOString(),
  }));
  return webhookView(updated);
}

export async function deleteWebhook(deps: WebhookDeps, appId: string, id: string) {
  if (!isId("subscription", id) || !(await deps.store.deleteSubscription(appId, id))) {
    throw notFound(id);
  }
  // Its health record has no one left to describe.
  await deps.store.resume(appId, id);
}

export async function getWebhookSecret(deps: WebhookDeps, appId: string, id: string) {
  const [newest] = (await mustExist(deps.store, appId, id)).secrets;
  if (!newest) throw new Error(`subscription ${id} has no secret`);
  try {
    return { secret: await openSecret(deps.vault, newest) };
  } catch (error) {
    if (!(error instanceof UnreadableSecret)) throw error;
    throw new Conflict(
      `the secret of webhook "${id}" cannot be decrypted with this deployment's key: rotate it`,
    );
  }
}

/** A new secret signs from now on; the previous one keeps signing for 24 h beside it. */
export async function rotateWebhookSecret(deps: WebhookDeps, appId: string, id: string) {
  const first = await mustExist(deps.store, appId, id);
  const now = deps.clock.now();
  const overlapEnds = new Date(now.getTime() + ROTATION_OVERLAP_MS).toISOString();
  const secret = newSigningSecret();
  const sealed = await deps.vault.seal(secret);
  await rewrite(deps, appId, first, async (current) => {
    // The newest live secret of what is stored now, so a rotation that won the race just
    // before this one is the secret that keeps signing for the overlap.
    const [previous] = liveSecrets(current, now);
    const secrets: SigningSecret[] = [
      { sealed, created_at: now.toISOString(), expires_at: null },
      ...(previous
        ? [{ ...(await sealedForm(deps.vault, previous)), expires_at: overlapEnds }]
        : []),
    ];
    return { ...current, secrets, updated_at: now.toISOString() };
  });
  return { secret };
}

/**
 * Writes `change(current)` back unless another write landed since `current` was read; then
 * reads the subscription again and re-applies the change, so a lost race never undoes the
 * other write (a PATCH cannot bring back the secret a rotation just replaced). After
 * REWRITE_TRIES lost races in a row: 409, nothing of this change written.
 */
async function rewrite(
  deps: WebhookDeps,
  appId: string,
  first: Subscription,
  change: (current: Subscription) => Promise<Subscription>,
): Promise<Subscription> {
  let current = first;
  for (let tries = 1; ; tries++) {
    const updated = await change(current);
    if (await deps.store.replaceSubscription(appId, updated)) return updated;
    if (tries === REWRITE_TRIES) {
      throw new Conflict(`webhook "${first.id}" is being changed by another request: try again`);
    }
    current = await mustExist(deps.store, appId, first.id); // 404 when it was deleted
  }
}

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
