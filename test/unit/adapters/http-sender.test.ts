import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createHttpSender } from "../../../functions/adapters/http-sender.ts";

// No test may query real DNS: every name goes through a fake resolver, and the system
// resolver behind the default one is stubbed out as a safety net.
vi.mock("node:dns/promises", () => ({ lookup: vi.fn(async () => []) }));

interface TestServer {
  port: number;
  connections: () => number;
  requests: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[];
}

const servers: http.Server[] = [];
const senders: { close(): void }[] = [];

afterEach(async () => {
  for (const sender of senders.splice(0)) sender.close();
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
    ),
  );
});

/** A server on 127.0.0.1 (random port) that records what reaches it. */
async function startServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<TestServer> {
  let connections = 0;
  const requests: TestServer["requests"] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    req.on("end", () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      handler(req, res);
    });
  });
  server.on("connection", () => {
    connections += 1;
  });
  servers.push(server);
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  const { port } = server.address() as AddressInfo;
  return { port, connections: () => connections, requests };
}

function sender(options: Parameters<typeof createHttpSender>[0]) {
  const created = createHttpSender(options);
  senders.push(created);
  return created;
}

const post = (url: string) => ({
  url,
  method: "POST" as const,
  headers: { "content-type": "application/json", "webhook-id": "msg_1" },
  body: '{"hello":"wörld"}',
});

describe("createHttpSender", () => {
  it("reports a 2xx as success with its status and body, sending body and headers", async () => {
    const server = await startServer((_req, res) => res.writeHead(201).end("accepted"));
    const result = await sender({ timeoutMs: 10_000, allowPrivateUrls: true }).send(
      post(`http://127.0.0.1:${server.port}/hooks?x=1`),
    );
    expect(result).toMatchObject({ statusCode: 201, responseBody: "accepted", error: null });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    const [received] = server.requests;
    expect(received).toMatchObject({
      method: "POST",
      url: "/hooks?x=1",
      body: '{"hello":"wörld"}',
    });
    expect(received?.headers["content-length"]).toBe(
      String(Buffer.byteLength('{"hello":"wörld"}')),
    );
    expect(received?.headers["webhook-id"]).toBe("msg_1");
  });

  it("reports a 500 as a failure keeping only the first 1 KiB of the body", async () => {
    const body = "0123456789abcdef".repeat(320); // 5 KiB
    const server = await startServer((_req, res) => res.writeHead(500).end(body));
    const result = await sender({ timeoutMs: 10_000, allowPrivateUrls: true }).send(
      post(`http://127.0.0.1:${server.port}/`),
    );
    expect(result).toMatchObject({ statusCode: 500, error: "HTTP 500" });
    expect(result.responseBody).toBe(body.slice(0, 1024));
  });

  it("treats a redirect as a failure and never follows it", async () => {
    let targetHits = 0;
    const server = await startServer((req, res) => {
      if (req.url === "/target") targetHits += 1;
      res.writeHead(req.url === "/target" ? 200 : 302, { location: "/target" }).end();
    });
    const result = await sender({ timeoutMs: 10_000, allowPrivateUrls: true }).send(
      post(`http://127.0.0.1:${server.port}/start`),
    );
    expect(result).toMatchObject({ statusCode: 302, error: "redirect to /target not followed" });
    expect(targetHits).toBe(0);
  });

  it("gives up after the timeout when the server never answers", async () => {
    const server = await startServer(() => {});
    const result = await sender({ timeoutMs: 200, allowPrivateUrls: true }).send(
      post(`http://127.0.0.1:${server.port}/`),
    );
    expect(result).toMatchObject({ statusCode: null, error: "timed out after 200 ms" });
    expect(result.durationMs).toBeGreaterThanOrEqual(190);
    expect(result.durationMs).toBeLessThan(2_000);
  });

  it("reports a refused connection without throwing", async () => {
    const server = await startServer(() => {});
    const closed = servers.pop();
    await new Promise<void>((done) => closed?.close(() => done()));
    const result = await sender({ timeoutMs: 10_000, allowPrivateUrls: true }).send(
      post(`http://127.0.0.1:${server.port}/`),
    );
    expect(result).toMatchObject({ statusCode: null, error: "connection refused" });
  });

  it("reuses one keep-alive connection across sends", async () => {
    const server = await startServer((_req, res) => res.writeHead(204).end());
    const client = sender({ timeoutMs: 10_000, allowPrivateUrls: true });
    const first = await client.send(post(`http://127.0.0.1:${server.port}/a`));
    const second = await client.send(post(`http://127.0.0.1:${server.port}/b`));
    expect([first.error, second.error]).toEqual([null, null]);
    expect(server.requests).toHaveLength(2);
    expect(server.connections()).toBe(1);
  });

  it("connects to the address the resolver answered for a name", async () => {
    const server = await startServer((_req, res) => res.writeHead(200).end("via name"));
    const resolve = vi.fn(async () => ["127.0.0.1"]);
    const result = await sender({ timeoutMs: 10_000, allowPrivateUrls: true, resolve }).send(
      post(`http://hooks.example.test:${server.port}/`),
    );
    expect(result).toMatchObject({ statusCode: 200, responseBody: "via name", error: null });
    expect(resolve).toHaveBeenCalledWith("hooks.example.test");
    expect(server.requests[0]?.headers.host).toBe(`hooks.example.test:${server.port}`);
  });

  it.each([
    ["127.0.0.1", "127.0.0.1"],
    ["2130706433", "127.0.0.1"],
    ["[::1]", "::1"],
    ["[::ffff:127.0.0.1]", "::ffff:7f00:1"],
  ])("refuses the literal host %s before connecting", async (host, shown) => {
    const server = await startServer((_req, res) => res.writeHead(200).end());
    const resolve = vi.fn(async () => ["127.0.0.1"]);
    const result = await sender({ timeoutMs: 10_000, allowPrivateUrls: false, resolve }).send(
      post(`http://${host}:${server.port}/`),
    );
    expect(result).toMatchObject({
      statusCode: null,
      error: `refused non-global address ${shown}`,
    });
    expect(server.connections()).toBe(0);
  });

  it("refuses a name that resolves to loopback before connecting", async () => {
    const server = await startServer((_req, res) => res.writeHead(200).end());
    const resolve = vi.fn(async () => ["127.0.0.1"]);
    const result = await sender({ timeoutMs: 10_000, allowPrivateUrls: false, resolve }).send(
      post(`http://rebind.example.test:${server.port}/`),
    );
    expect(result).toMatchObject({
      statusCode: null,
      error: "refused non-global address 127.0.0.1",
    });
    expect(resolve).toHaveBeenCalledWith("rebind.example.test");
    expect(server.connections()).toBe(0);
  });

  it("fails a name that does not resolve at send time", async () => {
    const server = await startServer((_req, res) => res.writeHead(200).end());
    const result = await sender({
      timeoutMs: 10_000,
      allowPrivateUrls: false,
      resolve: async () => [],
    }).send(post(`http://gone.example.test:${server.port}/`));
    expect(result).toMatchObject({
      statusCode: null,
      error: "could not resolve gone.example.test",
    });
    expect(server.connections()).toBe(0);
  });

  it("reports an invalid URL instead of throwing", async () => {
    const result = await sender({ timeoutMs: 10_000, allowPrivateUrls: true }).send(
      post("not a url"),
    );
    expect(result).toMatchObject({ statusCode: null, error: "invalid url" });
  });
});
