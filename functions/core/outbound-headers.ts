import { BadRequest } from "./errors.ts";
import { LIMITS } from "./limits.ts";

/** Headers Switchyard sets itself on every request it signs (SPEC §2.4, §3). */
const RESERVED_HEADER = /^(content-type|user-agent|webhook-.*|x-switchyard-.*)$/;

/**
 * Headers of the connection and the message's framing, which HTTP sets: a `host` would reach
 * another site behind the address that was checked, a `transfer-encoding` beside Switchyard's
 * `content-length` would let a body be read two ways.
 */
const HTTP_OWN_HEADER =
  /^(host|content-length|transfer-encoding|connection|keep-alive|proxy-connection|te|trailer|upgrade|expect)$/;

/** An HTTP header name: an RFC 9110 token. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;

/**
 * What an HTTP header value may hold (RFC 9110 field-value: tab, visible ASCII, obs-text), as
 * Node's HTTP client enforces it: no line break, so a payload can never add a header.
 */
export const SENDABLE_IN_HEADER = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * A workflow's action headers or a subscription's static ones, checked when saved: each an
 * HTTP header name, none of Switchyard's own, none twice (in any case), each value at most
 * 4 KiB of characters a header may hold. Answers them with lower-case names; a 400 names the
 * first bad one (`where` and its name).
 */
export function checkedHeaders(
  given: Record<string, string>,
  where: string,
  checkValue: (value: string, at: string) => void = () => {},
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    const lower = name.toLowerCase();
    const at = `${where}.${name}`;
    if (!HEADER_NAME.test(name)) throw new BadRequest(`${at}: not an HTTP header name`);
    if (RESERVED_HEADER.test(lower)) {
      throw new BadRequest(
        `${at}: Switchyard sets this header itself (content-type, user-agent, webhook-* and x-switchyard-* are reserved)`,
      );
    }
    if (HTTP_OWN_HEADER.test(lower)) {
      throw new BadRequest(`${at}: HTTP sets this header itself for the connection it sends on`);
    }
    if (Object.hasOwn(headers, lower)) throw new BadRequest(`${at}: given twice`);
    if (Buffer.byteLength(value) > LIMITS.headerValueBytes) {
      throw new BadRequest(`${at} must be at most ${LIMITS.headerValueBytes} bytes long`);
    }
    if (!SENDABLE_IN_HEADER.test(value)) {
      throw new BadRequest(
        `${at}: holds a character no HTTP header may hold (a line break, a control character or one beyond Latin-1)`,
      );
    }
    checkValue(value, at);
    headers[lower] = value;
  }
  return headers;
}
