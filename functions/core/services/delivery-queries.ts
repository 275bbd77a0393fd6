import { deliveryDetailView, deliveryView } from "../delivery-views.ts";
import { NotFound } from "../errors.ts";
import { isId } from "../ids.ts";
import type { DeliveryFilter, DeliveryStore } from "../ports.ts";
import { deliveryListQuery, listQuery } from "../schemas.ts";
import { parseInput } from "../validation.ts";

type Query = Record<string, string | undefined>;

/** `GET /api/v2/deliveries` (SPEC §2.5), newest first. */
export async function listDeliveries(store: DeliveryStore, appId: string, query: Query) {
  const { limit, cursor, ...filter } = parseInput(deliveryListQuery, query, "query");
  // An id that cannot exist names a partition that holds nothing: it matches nothing, and a
  // cursor given with it is still checked.
  return page(store, appId, filter, { limit, cursor });
}

/** `GET /api/v2/dlq`: this app's dead-lettered deliveries. */
export async function listDeadLetters(store: DeliveryStore, appId: string, query: Query) {
  const { limit, cursor } = parseInput(listQuery, query, "query");
  return page(store, appId, { status: "dead_lettered" }, { limit, cursor });
}

/** `GET /api/v2/webhooks/{id}/deliveries`. */
export async function listWebhookDeliveries(
  store: DeliveryStore,
  appId: string,
  webhookId: string,
  query: Query,
) {
  const { limit, cursor } = parseInput(listQuery, query, "query");
  return page(store, appId, { webhook_id: webhookId }, { limit, cursor });
}

export async function getDelivery(store: DeliveryStore, appId: string, id: string) {
  const detail = isId("delivery", id) ? await store.getDeliveryDetail(appId, id) : null;
  if (!detail) throw new NotFound(`delivery "${id}" not found`);
  return deliveryDetailView(detail.delivery, detail.attempts);
}

async function page(
  store: DeliveryStore,
  appId: string,
  filter: DeliveryFilter,
  request: { limit: number; cursor?: string | undefined },
) {
  const result = await store.listDeliveries(appId, filter, request);
  return { data: result.data.map(deliveryView), next_cursor: result.next_cursor };
}
