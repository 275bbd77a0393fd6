import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll } from "vitest";

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** When the request arrived (ms since the epoch). */
  at: number;
}

/** A receiver's answer; `hang` never answers. */
export type Answer = { status: number; body?: string; headers?: Record<string, string> } | "hang";

export interface TestReceiver {
  url: string;
  requests: ReceivedRequest[];
  /**
   * What the next requests are answered with; `hang` never answers. A function answers each
   * request as it arrives (it is already in `requests`).
   */
  respond: Answer | ((request: ReceivedRequest) => Answer);
  /** Runs while a request waits for its answer: to make something happen mid-delivery. */
  beforeAnswer?: (() => Promise<unknown>) | undefined;
  close(): Promise<void>;
}

/**
 * A receiver for a whole test file: started before its tests and closed after them. Its url
 * is set once it has started.
 */
export function useReceiver(): TestReceiver {
  const receiver = unstarted();
  beforeAll(() => startReceiver(receiver));
  afterAll(() => receiver.close());
  return receiver;
}

const unstarted = (): TestReceiver => ({
  url: "",
  requests: [],
  respond: { status: 200, body: "ok" },
  close: async () => {},
});

/** A webhook receiver on a loopback port that records every request. */
export async function startReceiver(receiver = unstarted()): Promise<TestReceiver> {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    const at = Date.now();
    request.on("end", () => {
      const received = {
        at,
        method: request.method ?? "",
        path: request.url ?? "",
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      receiver.requests.push(received);
      const { respond } = receiver;
      const answer = typeof respond === "function" ? respond(received) : respond;
      if (answer === "hang") return;
      void (receiver.beforeAnswer?.() ?? Promise.resolve()).finally(() => {
        response.writeHead(answer.status, { "content-type": "text/plain", ...answer.headers });
        response.end(answer.body ?? "");
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  receiver.url = `http://127.0.0.1:${port}/hooks`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}
