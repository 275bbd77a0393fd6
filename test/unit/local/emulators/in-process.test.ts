import { createServer, type IncomingMessage } from "node:http";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import {
  emitInto,
  inProcessClientOptions,
  type WireRequest,
} from "../../../../local/emulators/in-process.ts";

const request: WireRequest = {
  method: "POST",
  url: "/path?q=1",
  headers: { "X-Amz-Target": "Service.Op", "content-type": "application/json" },
  body: '{"a":"é"}',
};

function bodyOf(incoming: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = "";
    incoming.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    incoming.on("end", () => resolve(body));
  });
}

/** Echoes what it was asked, after a pause before it reads the body. */
const echo = createServer(async (incoming, response) => {
  await new Promise((resolve) => setTimeout(resolve, 5));
  const body = await bodyOf(incoming);
  response.setHeader("X-Seen-Target", String(incoming.headers["x-amz-target"]));
  response.writeHead(201, { "content-type": "application/x-amz-json-1.1" });
  response.end(JSON.stringify({ method: incoming.method, url: incoming.url, body }));
});

describe("a dispatch into a server without a socket", () => {
  it("hands the server the request as the wire carried it, and answers its response", async () => {
    const answer = await emitInto(echo)(request);

    expect(answer.statusCode).toBe(201);
    expect(answer.headers["x-seen-target"]).toBe("Service.Op");
    expect(answer.headers["content-type"]).toBe("application/x-amz-json-1.1");
    expect(JSON.parse(answer.body)).toEqual({
      method: "POST",
      url: "/path?q=1",
      body: '{"a":"é"}',
    });
    expect(echo.listening).toBe(false);
  });

  it("gathers a body written in parts, keeps the headers the handler left, and says it finished", async () => {
    let finished = false;
    const parts = createServer((_incoming, response) => {
      response.setHeader("x-kept", "1");
      response.setHeader("x-dropped", "1");
      if (response.hasHeader("X-Dropped")) response.removeHeader("x-dropped");
      response.on("finish", () => {
        finished = true;
      });
      response.statusCode = 404;
      response.write("not ");
      response.end(Buffer.from("found"));
    });

    const answer = await emitInto(parts)(request);

    expect(answer).toEqual({ statusCode: 404, headers: { "x-kept": "1" }, body: "not found" });
    expect(finished).toBe(true);
  });
});

describe("SDK clients through the in-process transport", () => {
  it("give up a call when it is aborted, as over a socket, though the emulator never answers", async () => {
    const client = new SQSClient({
      region: "us-east-1",
      endpoint: "http://127.0.0.1:9",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      ...inProcessClientOptions(() => new Promise(() => {})),
    });
    const abort = new AbortController();

    const poll = client.send(new ReceiveMessageCommand({ QueueUrl: "q", WaitTimeSeconds: 20 }), {
      abortSignal: abort.signal,
    });
    abort.abort();

    await expect(poll).rejects.toMatchObject({ name: "AbortError" });
  });
});
