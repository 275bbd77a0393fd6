import { lookup } from "node:dns/promises";
import { describe, expect, it, vi } from "vitest";
import {
  checkWebhookUrl,
  defaultResolve,
  type Resolve,
  type UrlPolicy,
} from "../../../functions/adapters/url-guard.ts";
import { BadRequest } from "../../../functions/core/errors.ts";

// The system resolver is replaced for the whole file: no test here may query real DNS.
vi.mock("node:dns/promises", () => ({ lookup: vi.fn() }));

const strict: UrlPolicy = { allowPrivateUrls: false, requireHttps: true };

/** A resolver answering from a table; nothing here touches the network. */
function fakeResolve(table: Record<string, string[]>): Resolve {
  return vi.fn(async (hostname: string) => table[hostname] ?? []);
}

async function rejection(promise: Promise<unknown>): Promise<BadRequest> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BadRequest);
  return error as BadRequest;
}

describe("checkWebhookUrl", () => {
  it("accepts a name that resolves to a public address and answers the normalized URL", async () => {
    const resolve = fakeResolve({ "hooks.example.com": ["93.184.216.34", "2606:2800::1"] });
    await expect(
      checkWebhookUrl("HTTPS://Hooks.Example.com/in?x=1", strict, resolve),
    ).resolves.toBe("https://hooks.example.com/in?x=1");
    expect(resolve).toHaveBeenCalledWith("hooks.example.com");
  });

  it("refuses a name that resolves to a private address", async () => {
    const resolve = fakeResolve({ "internal.example.com": ["93.184.216.34", "10.0.0.1"] });
    const error = await rejection(
      checkWebhookUrl("https://internal.example.com/", strict, resolve),
    );
    expect(error.message).toBe("url points to a non-global address (10.0.0.1)");
  });

  it("refuses a name that resolves to the instance-metadata address", async () => {
    const resolve = fakeResolve({ "meta.example.com": ["169.254.169.254"] });
    const error = await rejection(checkWebhookUrl("https://meta.example.com/", strict, resolve));
    expect(error.message).toBe("url points to a non-global address (169.254.169.254)");
  });

  it("accepts a name that does not resolve, leaving the check to send time", async () => {
    const resolve = fakeResolve({});
    await expect(checkWebhookUrl("https://not-yet.example.com/h", strict, resolve)).resolves.toBe(
      "https://not-yet.example.com/h",
    );
  });

  it.each([
    ["https://127.0.0.1/", "127.0.0.1"],
    ["https://2130706433/", "127.0.0.1"],
    ["https://0x7f000001/", "127.0.0.1"],
    ["https://127.1/", "127.0.0.1"],
    ["https://[::1]/", "::1"],
    ["https://[::ffff:127.0.0.1]/", "::ffff:7f00:1"],
    ["https://169.254.169.254/latest/meta-data", "169.254.169.254"],
  ])("refuses the literal host of %s without resolving it", async (url, shown) => {
    const resolve = fakeResolve({});
    const error = await rejection(checkWebhookUrl(url, strict, resolve));
    expect(error.message).toBe(`url points to a non-global address (${shown})`);
    expect(resolve).not.toHaveBeenCalled();
  });

  it("accepts a global literal host", async () => {
    await expect(checkWebhookUrl("https://8.8.8.8/h", strict, fakeResolve({}))).resolves.toBe(
      "https://8.8.8.8/h",
    );
  });

  it("refuses http when https is required and accepts it when not", async () => {
    const resolve = fakeResolve({ "example.com": ["93.184.216.34"] });
    const error = await rejection(checkWebhookUrl("http://example.com/", strict, resolve));
    expect(error.message).toBe("url must use https");
    await expect(
      checkWebhookUrl("http://example.com/", { ...strict, requireHttps: false }, resolve),
    ).resolves.toBe("http://example.com/");
  });

  it.each([["not a url"], ["/relative/path"], ["ftp://example.com/"], ["javascript:alert(1)"]])(
    "refuses %j as not an absolute http(s) URL",
    async (url) => {
      const error = await rejection(checkWebhookUrl(url, strict, fakeResolve({})));
      expect(error.message).toBe("url must be an absolute http(s) URL");
    },
  );

  it("refuses credentials in the URL", async () => {
    const error = await rejection(
      checkWebhookUrl("https://user:pw@example.com/", strict, fakeResolve({})),
    );
    expect(error.message).toBe("url must not contain credentials");
  });

  it("accepts loopback when private URLs are allowed, without resolving", async () => {
    const resolve = fakeResolve({});
    const policy = { allowPrivateUrls: true, requireHttps: false };
    await expect(checkWebhookUrl("http://127.0.0.1:8080/h", policy, resolve)).resolves.toBe(
      "http://127.0.0.1:8080/h",
    );
    await expect(checkWebhookUrl("http://localhost:8080/h", policy, resolve)).resolves.toBe(
      "http://localhost:8080/h",
    );
    expect(resolve).not.toHaveBeenCalled();
  });

  it("names the given field in its messages", async () => {
    const error = await rejection(
      checkWebhookUrl("https://10.0.0.1/", strict, fakeResolve({}), "action.url"),
    );
    expect(error.message).toBe("action.url points to a non-global address (10.0.0.1)");
  });
});

describe("defaultResolve", () => {
  it("answers every address the system resolver gives, in its order", async () => {
    vi.mocked(lookup).mockResolvedValue([
      { address: "2606:2800::1", family: 6 },
      { address: "93.184.216.34", family: 4 },
    ] as never);
    await expect(defaultResolve("example.com")).resolves.toEqual(["2606:2800::1", "93.184.216.34"]);
    expect(lookup).toHaveBeenCalledWith("example.com", { all: true, order: "verbatim" });
  });

  it("answers [] when the name does not resolve", async () => {
    vi.mocked(lookup).mockRejectedValue(Object.assign(new Error("nope"), { code: "ENOTFOUND" }));
    await expect(defaultResolve("nowhere.example")).resolves.toEqual([]);
  });

  it("answers [] when resolution takes longer than 2 s", async () => {
    vi.useFakeTimers();
    try {
      vi.mocked(lookup).mockReturnValue(new Promise(() => {}) as never);
      const answer = defaultResolve("slow.example");
      await vi.advanceTimersByTimeAsync(2_000);
      await expect(answer).resolves.toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});
