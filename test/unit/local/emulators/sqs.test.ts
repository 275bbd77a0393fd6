import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliveryQueueSettings } from "../../../../functions/core/delivery-settings.ts";
import { type LocalSqs, startSqs } from "../../../../local/emulators/sqs.ts";

/** This machine's addresses other than loopback: nothing local may be reached through them. */
const outwardAddresses = Object.values(networkInterfaces())
  .flat()
  .filter((address) => address !== undefined && !address.internal && address.family === "IPv4")
  .map((address) => address?.address ?? "");

/** Whether a TCP connection to host:port is accepted. */
const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2_000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });

describe("the local SQS emulator", () => {
  let dataDir: string;
  let sqs: LocalSqs;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "switchyard-sqs-"));
    sqs = await startSqs(
      dataDir,
      deliveryQueueSettings({ maxRetries: 3, retryBaseSeconds: 30, deliveryTimeoutSeconds: 10 }),
    );
  });

  afterAll(async () => {
    await sqs?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("listens on 127.0.0.1 only", async () => {
    const port = Number(new URL(sqs.endpoint).port);
    expect(await accepts("127.0.0.1", port)).toBe(true);
    for (const address of outwardAddresses) {
      expect(await accepts(address, port), `reachable through ${address}`).toBe(false);
    }
  });

  it("answers SQS calls on that address", async () => {
    expect(new URL(sqs.endpoint).hostname).toBe("127.0.0.1");
    expect(await sqs.healthy()).toBe(true);
  });
});
