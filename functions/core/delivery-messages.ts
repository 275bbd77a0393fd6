import type { Delivery, DeliveryMessage } from "./model.ts";

/**
 * The message that queues a delivery: an ordered one names its FIFO message group, so it
 * waits behind its subscription's earlier deliveries (SPEC §3.1).
 */
export function messageFor(
  delivery: Pick<Delivery, "app_id" | "id" | "target" | "ordered">,
): DeliveryMessage {
  return {
    v: 1,
    app_id: delivery.app_id,
    delivery_id: delivery.id,
    ...(delivery.ordered === true && { group: orderGroup(delivery.app_id, delivery.target.id) }),
  };
}

/**
 * An ordered subscription's FIFO message group: one per subscription, so one subscription's
 * failing delivery holds back its own later ones and nobody else's.
 */
export function orderGroup(appId: string, subscriptionId: string): string {
  return `${appId}/${subscriptionId}`;
}
