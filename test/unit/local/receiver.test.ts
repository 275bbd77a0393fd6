import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { signatureHeaders } from "../../../functions/core/sign.ts";
import { TEST_SECRET } from "../../support/events.ts";

let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null) {
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
  }
});

/** Starts `npm run receiver`'s program on a free port; answers its URL and its output so far. */
async function startReceiverCli(...args: string[]) {
  child = spawn(process.execPath, ["--import", "tsx", "local/receiver.ts", "--port", "0", ...args]);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    child?.stdout?.on("data", () => {
      const match = /Receiving webhooks at (\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child?.once("exit", (code) => reject(new Error(`receiver exited with ${code}`)));
  });
  return { url, output: () => output };
}

function post(url: string, body: string, secret = TEST_SECRET) {
  const headers = signatureHeaders([secret], "msg_test", Math.floor(Date.now() / 1000), body);
  return fetch(url, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json", "x-switchyard-attempt": "1" },
    body,
  });
}

describe("npm run receiver", () => {
  it("fails the first N requests with the given status, then answers 200", async () => {
    const receiver = await startReceiverCli("--fail", "2", "--status", "503");
    const statuses = [];
    for (let n = 0; n < 3; n++) statuses.push((await post(receiver.url, "{}")).status);
    expect(statuses).toEqual([503, 503, 200]);
    expect(receiver.output()).toContain("(failing 2 of 2)");
  });

  it("says whether both signatures verify with the given secret", async () => {
    const receiver = await startReceiverCli("--secret", TEST_SECRET);
    await post(receiver.url, '{"a":1}');
    await post(receiver.url, '{"a":1}', "whsec_//79/Pv6+fj39vX08/Lx8O/u7ezr6uno5+bl5OPi4eA=");
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [good, bad] = receiver
      .output()
      .split(/^#\d+ /m)
      .slice(1);
    expect(good).toContain("webhook-signature ✓ · x-switchyard-signature ✓");
    expect(bad).toContain("webhook-signature ✗");
    expect(bad).toContain("x-switchyard-signature ✗");
  });

  it("refuses a bad option with the usage", async () => {
    child = spawn(process.execPath, ["--import", "tsx", "local/receiver.ts", "--fail", "many"]);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = await once(child, "exit");
    expect(code).toBe(2);
    expect(stderr).toContain("--fail must be a whole number");
  });
});
