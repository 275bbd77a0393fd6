import type { Config } from "../../config.ts";
import type { WebhookSender } from "../../core/ports.ts";
import { onFirstUse } from "../on-first-use.ts";

/**
 * The deliverer's HTTP sender, for a function that sends only now and then (a workflow's test
 * run): it is loaded at the first send, under the deployment's timeout and address policy.
 */
export function lazySenderFor(config: Config): WebhookSender {
  const sender = onFirstUse(async () => {
    const { createHttpSender } = await import("../http-sender.ts");
    return createHttpSender({
      timeoutMs: config.deliveryTimeoutMs,
      allowPrivateUrls: config.allowPrivateUrls,
    });
  });
  return { send: async (request) => (await sender()).send(request) };
}
