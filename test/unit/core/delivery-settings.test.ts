import { describe, expect, it } from "vitest";
import {
  DEFAULT_DELIVERY_SETTINGS,
  deliveryQueueSettings,
} from "../../../functions/core/delivery-settings.ts";
import { maxHoldReceives } from "../../../functions/core/subscription-health.ts";

describe("the delivery queue's redrive backstop", () => {
  it("sits above every receive a delivery may take: its attempts, pausing's holds and a rate limit's", () => {
    const settings = DEFAULT_DELIVERY_SETTINGS;
    const retry = { maxRetries: settings.maxRetries, baseSeconds: settings.retryBaseSeconds };
    const attempts = settings.maxRetries + 1;
    // Per attempt: its receive, two more for throttles or crashes, and two rate-limit holds.
    expect(deliveryQueueSettings(settings).backstopMaxReceiveCount).toBe(
      attempts * 5 + maxHoldReceives(retry),
    );
    expect(deliveryQueueSettings(settings).backstopMaxReceiveCount).toBe(36);
  });
});
