import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { UnreadableSecret } from "../../../functions/core/secrets.ts";
import { newSigningSecret } from "../../../functions/core/sign.ts";
import { openLocalSecretVault } from "../../../local/secrets-key.ts";

let dataDir: string;
let keyFile: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "switchyard-secrets-"));
  keyFile = join(dataDir, "secrets.key");
  return () => rmSync(dataDir, { recursive: true, force: true });
});

describe("the local secret vault", () => {
  it("seals and opens a secret, and the sealed record holds no part of it in clear", async () => {
    const vault = openLocalSecretVault(dataDir);
    const secret = newSigningSecret();
    const sealed = await vault.seal(secret);
    expect(sealed).toMatchObject({ v: 1 });
    expect(JSON.stringify(sealed)).not.toContain(secret.slice("whsec_".length));
    expect(await vault.open(sealed)).toBe(secret);
  });

  it("makes a 32-byte key file on first start, readable by the owner only", () => {
    openLocalSecretVault(dataDir);
    expect(readFileSync(keyFile)).toHaveLength(32);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  it("keeps the key across restarts: a second vault on the same dir opens what the first sealed", async () => {
    const secret = newSigningSecret();
    const sealed = await openLocalSecretVault(dataDir).seal(secret);
    const key = readFileSync(keyFile);

    const restarted = openLocalSecretVault(dataDir);
    expect(readFileSync(keyFile)).toEqual(key);
    expect(await restarted.open(sealed)).toBe(secret);
  });

  it("cannot open secrets sealed under a key file that was replaced", async () => {
    const sealed = await openLocalSecretVault(dataDir).seal(newSigningSecret());
    rmSync(keyFile);
    const withNewKey = openLocalSecretVault(dataDir);
    await expect(withNewKey.open(sealed)).rejects.toBeInstanceOf(UnreadableSecret);
    await expect(withNewKey.open(sealed)).rejects.toThrow("was the key file replaced?");
  });

  it("refuses a key file that is not 32 bytes, naming it, and leaves it alone", () => {
    writeFileSync(keyFile, "too short");
    expect(() => openLocalSecretVault(dataDir)).toThrow(`${keyFile} holds 9 bytes`);
    expect(readFileSync(keyFile, "utf8")).toBe("too short");
  });
});
