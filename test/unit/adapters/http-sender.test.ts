import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
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

const servers: (http.Server | net.Server)[] = [];
const senders: { close(): void }[] = [];
const peers: { child: ChildProcess; fillers: net.Socket[] }[] = [];
const silentSockets: net.Socket[] = [];

afterEach(async () => {
  for (const sender of senders.splice(0)) sender.close();
  for (const peer of peers.splice(0)) {
    for (const filler of peer.fillers) filler.destroy();
    peer.child.kill();
  }
  for (const socket of silentSockets.splice(0)) socket.destroy();
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((done) => {
          if (server instanceof http.Server) server.closeAllConnections();
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

/**
 * The child that holds the listening socket of a peer that never accepts: once listening it
 * prints its port and blocks its own event loop for good, so it never calls accept(2).
 */
const NEVER_ACCEPTING_CHILD = `
const server = require("node:net").createServer();
server.listen({ port: 0, host: "127.0.0.1", backlog: 1 }, () => {
  require("node:fs").writeSync(1, server.address().port + "\\n");
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
});`;

/** Whether a connection to `port` completes its handshake within `withinMs`. */
function connects(socket: net.Socket, withinMs: number): Promise<boolean> {
  return new Promise((answer) => {
    const timer = setTimeout(() => answer(false), withinMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      answer(true);
    });
  });
}

/**
 * A port on 127.0.0.1 where a TCP handshake never completes. Nothing accepts on it, so the
 * kernel queues completed handshakes until the listen backlog is full; Linux then drops any
 * further SYN. Plain connections fill the queue first (until one of them hangs too).
 */
async function startNeverAcceptingPeer(): Promise<number> {
  const child = spawn(process.execPath, ["-e", NEVER_ACCEPTING_CHILD], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const peer = { child, fillers: [] as net.Socket[] };
  peers.push(peer);
  const port = await new Promise<number>((listening, failed) => {
    child.stdout?.once("data", (chunk: Buffer) => listening(Number(chunk.toString().trim())));
    child.once("exit", (code) => failed(new Error(`the never-accepting peer exited (${code})`)));
  });
  for (let attempt = 0; attempt < 16; attempt += 1) {
    const filler = net.connect(port, "127.0.0.1");
    filler.on("error", () => {});
    peer.fillers.push(filler);
    if (!(await connects(filler, 500))) return port;
  }
  throw new Error("the never-accepting peer's backlog never filled up");
}

/** A TCP server on 127.0.0.1 that accepts connections and never says a word (no TLS). */
async function startSilentTcpServer(): Promise<number> {
  // Closing a server waits for its connections, which this one never ends by itself.
  const server = net.createServer((socket) => silentSockets.push(socket));
  servers.push(server);
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  return (server.address() as AddressInfo).port;
}

/** A self-signed certificate for 127.0.0.1, made for this run (nothing secret is kept). */
function makeLoopbackCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "http-sender-tls-"));
  try {
    const made = spawnSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        .concat(["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1"])
        .concat(["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]),
      { encoding: "utf8" },
    );
    if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr}`);
    return {
      key: readFileSync(join(dir, "key.pem"), "utf8"),
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * An HTTPS server on 127.0.0.1 whose certificate the sender's TLS connections trust: the
 * sender's agent connects through `tls.connect`, which is made to add the certificate as CA.
 */
async function startTlsServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<{ port: number; connections: () => number }> {
  const { key, cert } = makeLoopbackCertificate();
  const connect = tls.connect;
  vi.spyOn(tls, "connect").mockImplementation(((options: tls.ConnectionOptions) =>
    connect({ ...options, ca: cert })) as typeof tls.connect);
  let connections = 0;
  const server = https.createServer({ key, cert }, handler);
  server.on("secureConnection", () => {
    connections += 1;
  });
  servers.push(server);
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
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

  it("fails at the connection deadline when the receiver never accepts the connection", async () => {
    const port = await startNeverAcceptingPeer();
    const result = await sender({
      timeoutMs: 10_000,
      connectTimeoutMs: 300,
      allowPrivateUrls: true,
    }).send(post(`http://127.0.0.1:${port}/`));
    expect(result).toMatchObject({
      statusCode: null,
      error: "connection timed out after 300 ms",
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(290);
    // Well short of the 10 s delivery timeout: the connection deadline is the one that fired.
    expect(result.durationMs).toBeLessThan(3_000);
  });

  it("bounds a new connection by the delivery timeout when that is under 3 s", async () => {
    const port = await startNeverAcceptingPeer();
    const result = await sender({ timeoutMs: 400, allowPrivateUrls: true }).send(
      post(`http://127.0.0.1:${port}/`),
    );
    expect(result).toMatchObject({
      statusCode: null,
      error: "connection timed out after 400 ms",
    });
  });

  it("fails at the connection deadline when the TLS handshake never finishes", async () => {
    const port = await startSilentTcpServer();
    const result = await sender({
      timeoutMs: 10_000,
      connectTimeoutMs: 300,
      allowPrivateUrls: true,
    }).send(post(`https://127.0.0.1:${port}/`));
    expect(result).toMatchObject({
      statusCode: null,
      error: "connection timed out after 300 ms",
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(290);
    expect(result.durationMs).toBeLessThan(3_000);
  });

  it("counts resolving the name against the connection deadline", async () => {
    const resolve = vi.fn(() => new Promise<string[]>(() => {}));
    const result = await sender({
      timeoutMs: 10_000,
      connectTimeoutMs: 300,
      allowPrivateUrls: true,
      resolve,
    }).send(post("http://stuck.example.test/"));
    expect(resolve).toHaveBeenCalledWith("stuck.example.test");
    expect(result).toMatchObject({
      statusCode: null,
      error: "connection timed out after 300 ms",
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(290);
    expect(result.durationMs).toBeLessThan(3_000);
  });

  it("gives a new connection 3 s by default under a longer delivery timeout", async () => {
    const result = await sender({
      timeoutMs: 10_000,
      allowPrivateUrls: true,
      resolve: () => new Promise<string[]>(() => {}),
    }).send(post("http://stuck.example.test/"));
    expect(result).toMatchObject({
      statusCode: null,
      error: "connection timed out after 3000 ms",
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(2_990);
  });

  it("lets a connected receiver that never answers run to the delivery timeout", async () => {
    const server = await startServer(() => {});
    const result = await sender({
      timeoutMs: 400,
      connectTimeoutMs: 100,
      allowPrivateUrls: true,
    }).send(post(`http://127.0.0.1:${server.port}/`));
    expect(result).toMatchObject({ statusCode: null, error: "timed out after 400 ms" });
    expect(result.durationMs).toBeGreaterThanOrEqual(390);
  });

  it("stops the connect deadline once the TLS handshake is done, and on reuse", async () => {
    const server = await startTlsServer((_req, res) => {
      // Answers after the connect deadline, on a connection that is up.
      setTimeout(() => res.writeHead(200).end("over tls"), 500);
    });
    const client = sender({ timeoutMs: 10_000, connectTimeoutMs: 200, allowPrivateUrls: true });
    const first = await client.send(post(`https://127.0.0.1:${server.port}/a`));
    const second = await client.send(post(`https://127.0.0.1:${server.port}/b`));
    for (const result of [first, second]) {
      expect(result).toMatchObject({ statusCode: 200, responseBody: "over tls", error: null });
      expect(result.durationMs).toBeGreaterThanOrEqual(490);
    }
    expect(server.connections()).toBe(1);
  });

  it("times out a body that never ends at the delivery timeout, counted from the start", async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200);
      res.write("partial");
    });
    const result = await sender({
      timeoutMs: 400,
      connectTimeoutMs: 100,
      allowPrivateUrls: true,
    }).send(post(`http://127.0.0.1:${server.port}/`));
    expect(result).toMatchObject({
      statusCode: 200,
      responseBody: "partial",
      error: "timed out after 400 ms",
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(390);
    expect(result.durationMs).toBeLessThan(3_000);
  });

  it("holds a reused keep-alive connection to the delivery timeout only", async () => {
    let sends = 0;
    const server = await startServer((_req, res) => {
      sends += 1;
      // The second answer comes after the connect deadline, on the connection already up.
      if (sends === 1) res.writeHead(204).end();
      else setTimeout(() => res.writeHead(204).end(), 300);
    });
    const client = sender({ timeoutMs: 10_000, connectTimeoutMs: 100, allowPrivateUrls: true });
    const first = await client.send(post(`http://127.0.0.1:${server.port}/a`));
    const second = await client.send(post(`http://127.0.0.1:${server.port}/b`));
    expect([first.error, second.error]).toEqual([null, null]);
    expect(second.durationMs).toBeGreaterThanOrEqual(290);
    expect(server.connections()).toBe(1);
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
