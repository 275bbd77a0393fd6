import type { Config } from "../../config.ts";
import type { WebhookSender } from "../../core/ports.ts";
import { onFirstUse } from "../on-first-use.ts";

/**
 * A test run waits for its request at most this long, whatever the deliveries' timeout: the
 * API function must answer within API Gateway's 30 s (its own timeout is 20 s).
 */
export const TEST_SEND_TIMEOUT_MS = 10_000;

/**
 * The deliverer's HTTP sender, for a function that sends only now and then (a workflow's test
 * run): it is loaded at the first send, under the deployment's address policy and timeout (at
 * most TEST_SEND_TIMEOUT_MS).
 */
export function lazySenderFor(config: Config): WebhookSender {
  const sender = onFirstUse(async () => {
    const { createHttpSender } = await import("../http-sender.ts");
    return createHttpSender({
      timeoutMs: Math.min(config.deliveryTimeoutMs, TEST_SEND_TIMEOUT_MS),
      allowPrivateUrls: config.allowPrivateUrls,
    });
  });
  return { send: async (request) => (await sender()).send(request) };
}
