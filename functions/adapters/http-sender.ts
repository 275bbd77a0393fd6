import type { LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { hostAsLiteralAddress, isGlobalAddress } from "../core/address-policy.ts";
import type { OutboundRequest, SendResult, WebhookSender } from "../core/ports.ts";
import { defaultResolve, type Resolve } from "./url-guard.ts";

/** What the sender reports as the error itself, rather than as an error code. */
class SendFailure extends Error {}

const RESPONSE_BODY_LIMIT = 1024;

/** How long a new connection (DNS, TCP and TLS handshakes) may take, unless given. */
const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;

/**
 * The agents' `lookup`: resolves with `resolve` and refuses non-global addresses at connect
 * time, so the socket connects to exactly the address that was checked (no DNS-rebinding
 * window between check and connect). Refuses a name if any of its addresses is non-global.
 */
function guardedLookup(resolve: Resolve, allowPrivateUrls: boolean): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        const refused = allowPrivateUrls ? undefined : addresses.find((a) => !isGlobalAddress(a));
        if (refused !== undefined) {
          callback(new SendFailure(`refused non-global address ${refused}`), "");
          return;
        }
        const family = options.family === 4 || options.family === 6 ? options.family : 0;
        const usable: LookupAddress[] = addresses
          .map((address) => ({ address, family: isIP(address) }))
          .filter((entry) => entry.family !== 0 && (family === 0 || entry.family === family));
        const first = usable[0];
        if (first === undefined) {
          callback(new SendFailure(`could not resolve ${hostname}`), "");
        } else if (options.all) {
          callback(null, usable);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: unknown) => callback(new SendFailure(`could not resolve ${hostname}: ${error}`), ""),
    );
  };
}

function describeError(error: unknown): string {
  if (error instanceof SendFailure) return error.message;
  // With several addresses Node tries each and reports an AggregateError of their failures.
  const cause = error instanceof AggregateError ? (error.errors[0] ?? error) : error;
  const code = (cause as NodeJS.ErrnoException).code;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ECONNRESET") return "connection reset";
  if (code) return code;
  return cause instanceof Error ? cause.message : String(cause);
}

function describeStatus(statusCode: number, location: string | undefined): string | null {
  if (statusCode >= 200 && statusCode < 300) return null;
  // Redirects are never followed: the target was not checked, and the receiver must answer.
  if (statusCode >= 300 && statusCode < 400 && location) {
    return `redirect to ${location} not followed`;
  }
  return `HTTP ${statusCode}`;
}

/**
 * The deliverer's HTTP client (SPEC §3). Keep-alive agents are reused across sends; each
 * send is bounded by `timeoutMs` from its start to the last body byte read, and a new
 * connection (resolving the name, the TCP and TLS handshakes) must be up within
 * `connectTimeoutMs` (default `min(3 s, timeoutMs)`) of the start, so a receiver that never
 * accepts fails early. A reused keep-alive connection has no connect deadline. Every address
 * is checked at connect time unless `allowPrivateUrls`. `send` never throws.
 */
export function createHttpSender(options: {
  timeoutMs: number;
  allowPrivateUrls: boolean;
  resolve?: Resolve;
  connectTimeoutMs?: number;
}): WebhookSender & { close(): void } {
  const connectTimeoutMs =
    options.connectTimeoutMs ?? Math.min(DEFAULT_CONNECT_TIMEOUT_MS, options.timeoutMs);
  const lookup = guardedLookup(options.resolve ?? defaultResolve, options.allowPrivateUrls);
  const httpAgent = new http.Agent({ keepAlive: true });
  const httpsAgent = new https.Agent({ keepAlive: true });

  function send(req: OutboundRequest): Promise<SendResult> {
    const started = performance.now();
    const result = (
      statusCode: number | null,
      responseBody: string,
      error: string | null,
      retryAfter?: string,
    ): SendResult => ({
      statusCode,
      durationMs: Math.round(performance.now() - started),
      responseBody,
      error,
      ...(retryAfter !== undefined && { retryAfter }),
    });

    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return Promise.resolve(result(null, "", "invalid url"));
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return Promise.resolve(result(null, "", `unsupported protocol ${url.protocol}`));
    }
    // Node connects to an IP literal without calling `lookup`, so literals are checked here.
    const literal = hostAsLiteralAddress(url.hostname);
    if (literal !== null && !options.allowPrivateUrls && !isGlobalAddress(literal)) {
      return Promise.resolve(result(null, "", `refused non-global address ${literal}`));
    }

    return new Promise<SendResult>((settle) => {
      let statusCode: number | null = null;
      let retryAfter: string | undefined;
      let done = false;
      let request: http.ClientRequest | undefined;
      const chunks: Buffer[] = [];
      let received = 0;
      const body = () => Buffer.concat(chunks).subarray(0, RESPONSE_BODY_LIMIT).toString("utf8");
      // Both clocks start now. The connect one covers the lookup too (it runs inside the
      // socket's connect) and stops once a connection is up; it is armed first so that, when
      // both deadlines are equal, a connection that never came up is reported as such.
      const connectTimer = setTimeout(() => {
        finish(`connection timed out after ${connectTimeoutMs} ms`);
        request?.destroy();
      }, connectTimeoutMs);
      // The whole exchange: connect, headers and the body bytes we read.
      const timer = setTimeout(() => {
        finish(`timed out after ${options.timeoutMs} ms`);
        request?.destroy();
      }, options.timeoutMs);
      const finish = (error: string | null) => {
        if (done) return;
        done = true;
        clearTimeout(connectTimer);
        clearTimeout(timer);
        settle(result(statusCode, body(), error, retryAfter));
      };

      const isHttps = url.protocol === "https:";
      const headers: Record<string, string> = { ...req.headers };
      if (req.body !== "" || (req.method !== "GET" && req.method !== "DELETE")) {
        headers["content-length"] = String(Buffer.byteLength(req.body));
      }
      try {
        request = (isHttps ? https : http).request({
          agent: isHttps ? httpsAgent : httpAgent,
          lookup,
          // The URL keeps IPv6 literals bracketed; a socket wants the bare address.
          hostname: literal ?? url.hostname,
          port: url.port || (isHttps ? 443 : 80),
          path: `${url.pathname}${url.search}`,
          method: req.method,
          headers,
        });
      } catch (error) {
        // Invalid header names or values throw synchronously.
        finish(describeError(error));
        return;
      }
      request.on("error", (error) => finish(describeError(error)));
      request.on("socket", (socket) => {
        const connected = () => clearTimeout(connectTimer);
        if (request?.reusedSocket) {
          // A keep-alive socket from the pool: nothing left to connect.
          connected();
        } else if (isHttps) {
          // Up only once the TLS handshake is done, not when TCP connects.
          socket.once("secureConnect", connected);
        } else if (socket.connecting) {
          socket.once("connect", connected);
        } else {
          connected();
        }
      });
      request.on("response", (response) => {
        statusCode = response.statusCode ?? null;
        retryAfter = response.headers["retry-after"];
        const statusError = describeStatus(response.statusCode ?? 0, response.headers.location);
        response.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          received += chunk.length;
          if (received >= RESPONSE_BODY_LIMIT) {
            // Enough read: drop the rest (and this socket) rather than drain an unbounded body.
            finish(statusError);
            response.destroy();
          }
        });
        response.on("end", () => finish(statusError));
        response.on("error", (error) => finish(describeError(error)));
        response.on("close", () => {
          if (!response.complete) finish("connection closed before the response ended");
        });
      });
      request.end(req.body);
    });
  }

  return {
    send,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
