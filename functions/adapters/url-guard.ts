import { lookup } from "node:dns/promises";
import { hostAsLiteralAddress, isGlobalAddress } from "../core/address-policy.ts";
import { BadRequest } from "../core/errors.ts";

/** What a deployment allows webhook URLs to be (SWITCHYARD_ALLOW_PRIVATE_URLS, _REQUIRE_HTTPS). */
export interface UrlPolicy {
  allowPrivateUrls: boolean;
  requireHttps: boolean;
}

/** Answers the addresses a hostname resolves to; `[]` when it does not resolve. */
export type Resolve = (hostname: string) => Promise<string[]>;

/** Resolution must not hold up an API call: a slow resolver counts as "does not resolve". */
const RESOLVE_TIMEOUT_MS = 2_000;

/**
 * Resolves through the system resolver (as a connection would), every address in the order
 * the resolver gave them. Errors and timeouts yield `[]`.
 */
export const defaultResolve: Resolve = async (hostname) => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string[]>((resolve) => {
    timer = setTimeout(() => resolve([]), RESOLVE_TIMEOUT_MS);
    timer.unref();
  });
  try {
    // `order: "verbatim"` is the non-deprecated spelling of `verbatim: true`.
    const found = lookup(hostname, { all: true, order: "verbatim" }).then((all) =>
      all.map((entry) => entry.address),
    );
    return await Promise.race([found, timeout]);
  } catch {
    return [];
  } finally {
    clearTimeout(timer);
  }
};

/**
 * Checks a webhook URL when it is saved (SPEC §2.3) and answers it normalized. Throws
 * BadRequest naming `field` when it is not an absolute http(s) URL, uses http where https is
 * required, carries credentials, or — unless private URLs are allowed — is or resolves to a
 * non-global address. A name that does not resolve is accepted: the sender checks it again.
 */
export async function checkWebhookUrl(
  url: string,
  policy: UrlPolicy,
  resolve: Resolve = defaultResolve,
  field = "url",
): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BadRequest(`${field} must be an absolute http(s) URL`);
  }
  if ((parsed.protocol !== "http:" && parsed.protocol !== "https:") || parsed.hostname === "") {
    throw new BadRequest(`${field} must be an absolute http(s) URL`);
  }
  if (policy.requireHttps && parsed.protocol !== "https:") {
    throw new BadRequest(`${field} must use https`);
  }
  if (parsed.username !== "" || parsed.password !== "") {
    throw new BadRequest(`${field} must not contain credentials`);
  }
  if (!policy.allowPrivateUrls) {
    const literal = hostAsLiteralAddress(parsed.hostname);
    const addresses = literal !== null ? [literal] : await resolve(parsed.hostname);
    const refused = addresses.find((address) => !isGlobalAddress(address));
    if (refused !== undefined) {
      throw new BadRequest(`${field} points to a non-global address (${refused})`);
    }
  }
  return parsed.toString();
}
