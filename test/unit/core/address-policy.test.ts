import { describe, expect, it } from "vitest";
import { hostAsLiteralAddress, isGlobalAddress } from "../../../functions/core/address-policy.ts";

describe("isGlobalAddress", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.1", "loopback, short form"],
    ["2130706433", "loopback, decimal"],
    ["0x7f000001", "loopback, hex"],
    ["0177.0.0.1", "loopback, octal"],
    ["10.1.2.3", "RFC 1918"],
    ["172.16.0.1", "RFC 1918"],
    ["192.168.1.1", "RFC 1918"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["169.254.169.254", "link-local (instance metadata)"],
    ["0.0.0.0", "unspecified"],
    ["255.255.255.255", "broadcast"],
    ["192.0.2.1", "reserved (TEST-NET-1)"],
    ["240.0.0.1", "reserved (class E)"],
    ["224.0.0.1", "multicast"],
    ["::", "IPv6 unspecified"],
    ["::1", "IPv6 loopback"],
    ["::ffff:127.0.0.1", "IPv4-mapped loopback"],
    ["::ffff:7f00:1", "IPv4-mapped loopback, hex"],
    ["::ffff:169.254.169.254", "IPv4-mapped link-local"],
    ["::7f00:1", "IPv4-compatible loopback"],
    ["64:ff9b::a00:1", "NAT64 of a private address"],
    ["2002:7f00:1::1", "6to4 of loopback"],
    ["fe80::1", "IPv6 link-local"],
    ["fd00::1", "unique-local"],
    ["ff02::1", "IPv6 multicast"],
    ["2001:db8::1", "documentation"],
    ["not-an-ip", "unparseable"],
    ["", "empty"],
  ])("%s (%s) is not global", (ip) => {
    expect(isGlobalAddress(ip)).toBe(false);
  });

  it.each([
    ["8.8.8.8"],
    ["1.1.1.1"],
    ["2606:4700::1111"],
    ["::ffff:8.8.8.8"],
    ["64:ff9b::808:808"],
  ])("%s is global", (ip) => {
    expect(isGlobalAddress(ip)).toBe(true);
  });
});

describe("hostAsLiteralAddress", () => {
  it.each([
    ["127.0.0.1", "127.0.0.1"],
    ["127.1", "127.0.0.1"],
    ["2130706433", "127.0.0.1"],
    ["0x7f000001", "127.0.0.1"],
    ["[::1]", "::1"],
    ["[::ffff:127.0.0.1]", "::ffff:7f00:1"],
    ["[2606:4700:0:0::1111]", "2606:4700::1111"],
  ])("normalizes the literal %s to %s", (hostname, expected) => {
    expect(hostAsLiteralAddress(hostname)).toBe(expected);
  });

  it.each([["example.com"], ["localhost"], ["hooks.example.test"], [""]])(
    "answers null for the name %j",
    (hostname) => {
      expect(hostAsLiteralAddress(hostname)).toBeNull();
    },
  );
});
