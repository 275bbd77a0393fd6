import { EventEmitter } from "node:events";
import type { Server } from "node:http";
import { Readable } from "node:stream";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "./credentials.ts";

/** One HTTP request as the AWS SDK serialised it, in the emulator's own wire protocol. */
export interface WireRequest {
  method: string;
  /** Path and query string. */
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface WireResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Hands a request to an emulator and answers its response. */
export type Dispatch = (request: WireRequest) => Promise<WireResponse>;

/** An emulator already serving: its endpoint, and a dispatch into it that needs no socket. */
export interface EmulatorAccess {
  endpoint: string;
  dispatch: Dispatch;
}

/**
 * A dispatch into an HTTP server of this thread without a socket: the request is handed to
 * the server as its "request" event, with a readable stream for the body, as the wire carried
 * it, and a small response that gathers the status, headers and body and settles the call.
 * The emulators' handlers (dynalite's plain one, fauxqs's Fastify) and the local bus's use
 * only these parts of Node's request and response; a full mock of them (light-my-request) cost
 * about as much CPU as dynalite's own work on a GetItem.
 */
export function emitInto(server: Server): Dispatch {
  return (request) =>
    new Promise((resolve, reject) => {
      // A stream, as Node's request is: it holds the body until the handler reads it.
      const incoming = Object.assign(new Readable({ read() {} }), {
        method: request.method,
        url: request.url,
        headers: lowerCased(request.headers),
      });
      if (request.body) incoming.push(request.body);
      incoming.push(null);
      try {
        server.emit("request", incoming, new GatheredResponse(resolve));
      } catch (error) {
        reject(error);
      }
    });
}

/** The parts of Node's ServerResponse a handler writes with, kept in memory. */
class GatheredResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  private readonly headers: Record<string, string> = {};
  private readonly chunks: Buffer[] = [];
  private readonly settle: (response: WireResponse) => void;

  constructor(settle: (response: WireResponse) => void) {
    super();
    this.settle = settle;
  }

  setHeader(name: string, value: unknown) {
    this.headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
    return this;
  }

  getHeader(name: string) {
    return this.headers[name.toLowerCase()];
  }

  hasHeader(name: string) {
    return name.toLowerCase() in this.headers;
  }

  removeHeader(name: string) {
    delete this.headers[name.toLowerCase()];
  }

  writeHead(statusCode: number, headers: Record<string, unknown> = {}) {
    this.statusCode = statusCode;
    for (const [name, value] of Object.entries(headers)) this.setHeader(name, value);
    this.headersSent = true;
    return this;
  }

  write(chunk: string | Buffer) {
    this.headersSent = true;
    this.chunks.push(Buffer.from(chunk));
    return true;
  }

  end(chunk?: string | Buffer) {
    if (this.writableEnded) return this;
    if (chunk !== undefined) this.write(chunk);
    this.writableEnded = true;
    const body = Buffer.concat(this.chunks).toString();
    this.settle({ statusCode: this.statusCode, headers: this.headers, body });
    this.emit("finish");
    this.emit("close");
    return this;
  }
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  const lower: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) lower[name.toLowerCase()] = value;
  return lower;
}

/**
 * The emulators check that a request carries a signature but never verify it, so the local
 * clients do not sign (without a socket, signing took over half of an SDK call's CPU); the
 * transport sends this placeholder instead, scoped to the local region, from which fauxqs
 * takes its queues' region.
 */
const PLACEHOLDER_AUTHORIZATION = `AWS4-HMAC-SHA256 Credential=${LOCAL_CREDENTIALS.accessKeyId}/20260101/${LOCAL_REGION}/local/aws4_request, SignedHeaders=host, Signature=0`;

/** The SDK's request as the emulator takes it. */
interface SdkRequest {
  method: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

/**
 * The SDK client options that carry a client's requests through `dispatch` instead of a
 * socket, unsigned: the local runtime gives them to every client it makes, the handlers'
 * included (through `AwsSettings.clientOverrides`). The SDK still builds and parses every
 * request and response, so the handlers and the emulators speak the same protocol as over
 * HTTP.
 */
export function inProcessClientOptions(dispatch: Dispatch): object {
  return {
    requestHandler: {
      async handle(request: SdkRequest, options: { abortSignal?: AbortSignal } = {}) {
        const answer = await abortable(
          dispatch({
            method: request.method,
            url: request.path + queryString(request.query),
            headers: {
              ...request.headers,
              authorization: PLACEHOLDER_AUTHORIZATION,
              "x-amz-date": "20260101T000000Z",
            },
            body: bodyText(request.body),
          }),
          options.abortSignal,
        );
        return {
          response: {
            statusCode: answer.statusCode,
            headers: answer.headers,
            body: utf8Bytes.encode(answer.body),
          },
        };
      },
      updateHttpClientConfig() {},
      httpHandlerConfigs: () => ({}),
    },
    httpAuthSchemes: [
      {
        schemeId: "smithy.api#noAuth",
        identityProvider: () => async () => ({}),
        signer: { sign: async (request: unknown) => request },
      },
    ],
    httpAuthSchemeProvider: () => [{ schemeId: "smithy.api#noAuth" }],
  };
}

/**
 * The call, or its abort: as with a socket, an aborted call (a long poll cut short when the
 * runtime stops) fails at once, and the emulator's answer, when it comes, is dropped.
 */
function abortable<T>(call: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return call;
  if (signal.aborted) return Promise.reject(abortError());
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener("abort", onAbort, { once: true });
    call.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function abortError(): Error {
  return Object.assign(new Error("Request aborted"), { name: "AbortError" });
}

function queryString(query: SdkRequest["query"]): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    for (const one of Array.isArray(value) ? value : [value]) search.append(name, one ?? "");
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

const utf8 = new TextDecoder();
const utf8Bytes = new TextEncoder();

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return "";
  if (typeof body === "string") return body;
  // The SDK's JSON body is bytes that also pose as a string: decode the bytes.
  if (body instanceof Uint8Array) return utf8.decode(body);
  throw new Error("the in-process transport carries string and byte bodies only");
}
