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

  // An IPv6 address the network hands on to an IPv4 address is judged by that address. Each
  // embedded address below is in a /24 (TEST-NET-3, link-local) whose neighbours are global,
  // so taking the wrong 16 bits of it would pass it as global.
  describe("IPv6 forms that embed an IPv4 address", () => {
    it.each([
      ["::ffff:203.0.113.7", "IPv4-mapped TEST-NET-3"],
      ["::ffff:0:203.0.113.7", "IPv4-translated (RFC 6145) TEST-NET-3"],
      ["::ffff:0:7f00:1", "IPv4-translated loopback"],
      ["64:ff9b::a9fe:a9fe", "NAT64 (RFC 6052) of the instance-metadata address"],
      ["64:ff9b::cb00:7107", "NAT64 of TEST-NET-3"],
      ["64:ff9b:1::808:808", "local-use NAT64 (RFC 8215): nothing global to extract"],
      ["2002:c0a8:101::", "6to4 of 192.168.1.1"],
      ["2002:cb00:7107::1", "6to4 of TEST-NET-3"],
      ["2002:a9fe:a9fe::1", "6to4 of the instance-metadata address"],
    ])("%s (%s) is not global", (ip) => {
      expect(isGlobalAddress(ip)).toBe(false);
    });

    it.each([
      ["::ffff:0:808:808", "IPv4-translated 8.8.8.8"],
      ["2002:808:808::1", "6to4 of 8.8.8.8"],
      ["2002:cb00:7200::", "6to4 of 203.0.114.0, just past TEST-NET-3"],
    ])("%s (%s) is global", (ip) => {
      expect(isGlobalAddress(ip)).toBe(true);
    });
  });

  it("refuses a global address with a zone id: a scope only makes sense on a link", () => {
    expect(isGlobalAddress("2606:4700::1111")).toBe(true);
    expect(isGlobalAddress("2606:4700::1111%eth0")).toBe(false);
  });

  it.each([
    ["1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false],
    ["2000::", true],
    ["2000::1", true],
    ["3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true],
    ["4000::", false],
    ["3fff::1", false], // 3fff::/20 is for documentation (RFC 9637)
    ["2001:db8::1", false],
  ])("allocates global IPv6 unicast only from 2000::/3: %s is global: %s", (ip, global) => {
    expect(isGlobalAddress(ip)).toBe(global);
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

  it.each([
    ["example.com"],
    ["localhost"],
    ["hooks.example.test"],
    [""],
    // Brackets on one side only do not make a literal.
    ["[::1"],
    ["x127.0.0.1]"],
    ["[127.0.0.1x"],
  ])("answers null for the name %j", (hostname) => {
    expect(hostAsLiteralAddress(hostname)).toBeNull();
  });
});
