import type { AwsSettings } from "../../config.ts";

/**
 * What every AWS SDK client is made with. Endpoints, static credentials and any further
 * options come from the settings, so the local runtime points the same clients at its
 * emulators. Each service's client has a file of its own in this folder, so a function's
 * bundle carries only the SDKs it uses, and one that loads an SDK at first use (`import()`)
 * finds it nowhere else.
 */
export function clientOptions(settings: AwsSettings, service: keyof AwsSettings["endpoints"]) {
  return {
    region: settings.region,
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    endpoint: settings.endpoints[service],
    ...settings.clientOverrides?.[service],
  };
}
