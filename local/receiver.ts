/**
 * `npm run receiver -- [--port 4000] [--secret whsec_…] [--fail N] [--status 500]`: a webhook
 * receiver for trying Switchyard. It prints each request and whether its signatures verify
 * (given the subscription's secret), and can be told to fail the first N requests.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { Webhook } from "standardwebhooks";

const usage =
  "usage: npm run receiver -- [--port 4000] [--secret whsec_...] [--fail N] [--status 500]";
let options: { port: number; secret?: string | undefined; fail: number; status: number };
try {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "4000" },
      secret: { type: "string" },
      fail: { type: "string", default: "0" },
      status: { type: "string", default: "500" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  options = {
    port: whole(values.port, "--port", 0, 65535),
    secret: values.secret,
    fail: whole(values.fail, "--fail", 0, 1_000_000),
    status: whole(values.status, "--status", 100, 599),
  };
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(2);
}

let received = 0;
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    received += 1;
    const body = Buffer.concat(chunks).toString("utf8");
    const headers = request.headers as Record<string, string>;
    const failing = received <= options.fail;
    const status = failing ? options.status : 200;
    console.log(
      [
        `#${received} ${new Date().toISOString()} ${request.method} ${request.url}`,
        `  event ${headers["x-switchyard-event"] ?? "-"} · attempt ${headers["x-switchyard-attempt"] ?? "-"} · webhook-id ${headers["webhook-id"] ?? "-"}`,
        `  ${verdict(body, headers)}`,
        `  ${body.length > 400 ? `${body.slice(0, 400)}…` : body}`,
        `  → ${status}${failing ? ` (failing ${received} of ${options.fail})` : ""}`,
      ].join("\n"),
    );
    response.writeHead(status, { "content-type": "text/plain" });
    response.end(failing ? "failing on purpose" : "ok");
  });
});
server.listen(options.port, "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  console.log(`Receiving webhooks at http://127.0.0.1:${port}/ (Ctrl-C to stop)`);
  if (!options.secret) console.log("Give --secret whsec_… to check signatures.");
});
const close = () => server.close(() => process.exit(0));
process.on("SIGINT", close);
process.on("SIGTERM", close);

/** Both signatures: Standard Webhooks' (id.timestamp.body) and the simple hex one (body). */
function verdict(body: string, headers: Record<string, string>): string {
  if (!options.secret) return "signatures not checked (no --secret)";
  let standard: string;
  try {
    new Webhook(options.secret).verify(body, headers);
    standard = "webhook-signature ✓";
  } catch (error) {
    standard = `webhook-signature ✗ (${(error as Error).message})`;
  }
  const key = Buffer.from(options.secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(body).digest();
  const given = Buffer.from(headers["x-switchyard-signature"] ?? "", "hex");
  const simple =
    given.length === expected.length && timingSafeEqual(given, expected)
      ? "x-switchyard-signature ✓"
      : "x-switchyard-signature ✗";
  return `${standard} · ${simple}`;
}

function whole(value: string, name: string, min: number, max: number): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  }
  return number;
}
