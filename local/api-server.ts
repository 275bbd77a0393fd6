import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { isTriggerRoute } from "../functions/http/paths.ts";

type Handler = (event: APIGatewayProxyEventV2) => Promise<unknown>;

export interface ApiServerOptions {
  port: number;
  /** The trigger routes' function; everything else goes to `api`, like the HTTP API's $default. */
  trigger: Handler;
  api: Handler;
  /** `GET /health`: whether every part of the runtime is up. */
  health(): Promise<Record<string, boolean>>;
  onError(error: unknown): void;
}

export interface ApiServer {
  url: string;
  stop(): Promise<void>;
}

/** API Gateway's HTTP API accepts bodies up to 10 MB; the handlers apply SPEC's own limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
const TEXT_TYPES = /^(application\/(json|[\w.+-]+\+json|xml|x-www-form-urlencoded)|text\/)/i;

/**
 * A stand-in for API Gateway's HTTP API: builds the payload-2.0 event the functions get in
 * AWS (lower-cased headers, a request id, the raw body, base64 for binary bodies) and writes
 * their answer back.
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      options.onError(error);
      if (!response.headersSent) response.writeHead(500, { "content-type": "application/json" });
      response.end(JSON.stringify({ message: "Internal Server Error" }));
    });
  });

  async function serve(request: IncomingMessage, response: ServerResponse) {
    const body = await readBody(request);
    if (body === null) {
      response.writeHead(413, { "content-type": "application/json" });
      response.end(JSON.stringify({ message: "Request Entity Too Large" }));
      return;
    }
    const event = toApiEvent(request, body);
    if (event.requestContext.http.method === "GET" && event.rawPath === "/health") {
      const parts = await options.health();
      const ok = Object.values(parts).every(Boolean);
      response.writeHead(ok ? 200 : 503, {
        "content-type": "application/json",
        "x-request-id": event.requestContext.requestId,
      });
      response.end(JSON.stringify(ok ? { status: "ok" } : { status: "degraded", parts }));
      return;
    }
    const handler = isTriggerRoute(event.requestContext.http.method, event.rawPath)
      ? options.trigger
      : options.api;
    const result = (await handler(event)) as APIGatewayProxyStructuredResultV2;
    const payload = result.body
      ? Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8")
      : Buffer.alloc(0);
    response.writeHead(result.statusCode ?? 200, {
      ...stringHeaders(result.headers),
      "content-length": String(payload.byteLength),
    });
    response.end(payload);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function toApiEvent(request: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? "/", "http://localhost");
  const method = (request.method ?? "GET").toUpperCase();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined)
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(",") : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  }
  const isText = TEXT_TYPES.test(headers["content-type"] ?? "application/json");
  const now = new Date();
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 && { queryStringParameters: query }),
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: headers.host ?? "localhost",
      domainPrefix: "localhost",
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(body.byteLength > 0 && {
      body: isText ? body.toString("utf8") : body.toString("base64"),
    }),
    isBase64Encoded: body.byteLength > 0 && !isText,
  };
}

/** The body, or null when it is larger than API Gateway would take. */
function readBody(request: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on("end", () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function stringHeaders(
  headers: APIGatewayProxyStructuredResultV2["headers"],
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers ?? {}).map(([name, value]) => [name, String(value)]),
  );
}
