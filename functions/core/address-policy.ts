import ipaddr from "ipaddr.js";

/**
 * Which IP addresses a webhook may reach (SPEC §3): only globally routable unicast, so a
 * subscriber cannot point deliveries at loopback, the VPC, or the instance-metadata service.
 */

type Address = ipaddr.IPv4 | ipaddr.IPv6;

function parse(ip: string): Address | null {
  try {
    return ipaddr.parse(ip);
  } catch {
    return null;
  }
}

function ipv4FromParts(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/**
 * The IPv4 address an IPv6 address stands for, when the network would deliver it there:
 * IPv4-mapped and -translated (`::ffff:…`), NAT64 (`64:ff9b::/96`) and 6to4 (`2002::/16`).
 * Classifying by the embedded address keeps `::ffff:127.0.0.1` from passing as global.
 */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = address.parts;
  switch (address.range()) {
    case "ipv4Mapped":
    case "rfc6145":
      return ipv4FromParts(p[6] ?? 0, p[7] ?? 0);
    case "rfc6052":
      // 64:ff9b:1::/48 is the local-use NAT64 prefix: nothing global to extract.
      return p[2] === 0 ? ipv4FromParts(p[6] ?? 0, p[7] ?? 0) : null;
    case "6to4":
      return ipv4FromParts(p[1] ?? 0, p[2] ?? 0);
    default:
      return null;
  }
}

function isGlobal(address: Address): boolean {
  if (address.kind() === "ipv4") return address.range() === "unicast";
  const v6 = address as ipaddr.IPv6;
  if (v6.zoneId) return false; // a scope id only makes sense for a link-local address
  const v4 = embeddedIPv4(v6);
  if (v4) return isGlobal(v4);
  // ipaddr.js calls everything outside its special ranges "unicast", including the rest of
  // ::/8 (e.g. IPv4-compatible ::7f00:1); IANA allocates global unicast only from 2000::/3.
  const first = v6.parts[0] ?? 0;
  return v6.range() === "unicast" && first >= 0x2000 && first <= 0x3fff;
}

/**
 * Whether `ip` is a genuinely global unicast address. False for loopback, unspecified,
 * private, carrier-grade NAT, link-local, unique-local, multicast, broadcast and reserved
 * ranges, for IPv6 forms that embed such an IPv4 address, and for anything unparseable.
 * Accepts every spelling ipaddr.js parses (`127.1`, `2130706433`, `0x7f000001`, `0177.0.0.1`).
 */
export function isGlobalAddress(ip: string): boolean {
  const address = parse(ip);
  return address !== null && isGlobal(address);
}

/**
 * The normalized address when a URL hostname is an IP literal (`[::1]`, `127.1`,
 * `0x7f000001`, …), else null — a name that needs resolving.
 */
export function hostAsLiteralAddress(hostname: string): string | null {
  const bare =
    hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  return parse(bare)?.toString() ?? null;
}
