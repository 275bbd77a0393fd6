import { DELIVERY_STATUS_REASONS, DELIVERY_STATUSES } from "../core/delivery-status.ts";
import type { DeliveryMessage } from "../core/model.ts";

/**
 * A delivery queue (or dead-letter queue) message body as the domain's message; throws on
 * anything else, so that record fails alone.
 */
export function parseDeliveryMessage(body: string): DeliveryMessage {
  const message = JSON.parse(body) as Partial<DeliveryMessage> | null;
  if (
    message?.v !== 1 ||
    typeof message.app_id !== "string" ||
    typeof message.delivery_id !== "string"
  ) {
    throw new Error("not a delivery message of version 1");
  }
  const parsed: DeliveryMessage = {
    v: 1,
    app_id: message.app_id,
    delivery_id: message.delivery_id,
  };
  const stamp = message.dead_letter;
  if (stamp !== undefined) {
    if (
      typeof stamp !== "object" ||
      stamp === null ||
      !DELIVERY_STATUS_REASONS.includes(stamp.reason) ||
      typeof stamp.at !== "string" ||
      Number.isNaN(Date.parse(stamp.at))
    ) {
      throw new Error("a delivery message with a malformed dead_letter stamp");
    }
    parsed.dead_letter = { reason: stamp.reason, at: stamp.at };
  }
  const ticket = message.slow_lane;
  if (ticket !== undefined) {
    if (
      typeof ticket !== "object" ||
      ticket === null ||
      typeof ticket.carrier !== "string" ||
      typeof ticket.from !== "string"
    ) {
      throw new Error("a delivery message with a malformed slow_lane ticket");
    }
    parsed.slow_lane = { carrier: ticket.carrier, from: ticket.from };
  }
  const retry = message.retry;
  if (retry !== undefined) {
    if (
      typeof retry !== "object" ||
      retry === null ||
      typeof retry.carrier !== "string" ||
      !DELIVERY_STATUSES.includes(retry.status) ||
      !Number.isInteger(retry.attempt_count)
    ) {
      throw new Error("a delivery message with a malformed retry ticket");
    }
    parsed.retry = {
      carrier: retry.carrier,
      status: retry.status,
      attempt_count: retry.attempt_count,
    };
  }
  const group = message.group;
  if (group !== undefined) {
    if (typeof group !== "string" || group.length === 0) {
      throw new Error("a delivery message with a malformed message group");
    }
    parsed.group = group;
  }
  return parsed;
}
