import { DecryptCommand, GenerateDataKeyCommand, KMSServiceException } from "@aws-sdk/client-kms";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createEnvelopeVault } from "../../../functions/adapters/secrets/envelope-vault.ts";
import {
  kmsKeyWrapper,
  SIGNING_SECRET_CONTEXT,
} from "../../../functions/adapters/secrets/kms-key-wrapper.ts";
import { kmsVaultFor } from "../../../functions/adapters/secrets/kms-vault.ts";
import { loadConfig } from "../../../functions/config.ts";
import type { SealedSecret } from "../../../functions/core/model.ts";
import { UnreadableSecret } from "../../../functions/core/secrets.ts";
import { newSigningSecret } from "../../../functions/core/sign.ts";
import { mockKms, TEST_KMS_KEY_ID, testKmsClient } from "../../support/kms.ts";

const fake = mockKms();
const client = testKmsClient();
/** One Lambda container's vault: its own data key and its own cache of unwrapped keys. */
const container = (maxCachedKeys?: number) =>
  createEnvelopeVault(kmsKeyWrapper(client, TEST_KMS_KEY_ID), maxCachedKeys);

afterEach(() => fake.reset());
afterAll(() => fake.restore());

const flip = (base64: string, index = 0) => {
  const bytes = Buffer.from(base64, "base64");
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  return bytes.toString("base64");
};

describe("the KMS secret vault", () => {
  it("makes one data key per container: GenerateDataKey once for many seals, with the context", async () => {
    const vault = container();
    const secrets = Array.from({ length: 20 }, () => newSigningSecret());
    // Sealed at once, as concurrent requests on one container would: still one data key.
    const sealed = await Promise.all(secrets.map((secret) => vault.seal(secret)));
    await vault.seal(newSigningSecret());

    expect(fake.kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 1);
    expect(fake.kms).toHaveReceivedCommandWith(GenerateDataKeyCommand, {
      KeyId: TEST_KMS_KEY_ID,
      KeySpec: "AES_256",
      EncryptionContext: { purpose: "switchyard-signing-secret" },
    });
    expect(new Set(sealed.map((record) => record.key)).size).toBe(1);
    // Opening what this container sealed needs no call either.
    expect(await Promise.all(sealed.map((record) => vault.open(record)))).toEqual(secrets);
    expect(fake.kms).toHaveReceivedCommandTimes(DecryptCommand, 0);
  });

  it("seals each secret as a versioned record with the wrapped key, IV, ciphertext and tag", async () => {
    const secret = newSigningSecret();
    const vault = container();
    const [first, second] = [await vault.seal(secret), await vault.seal(secret)];
    expect(first).toEqual({
      v: 1,
      key: expect.any(String),
      iv: expect.any(String),
      ciphertext: expect.any(String),
      tag: expect.any(String),
    });
    expect(Buffer.from(first.iv, "base64")).toHaveLength(12);
    expect(Buffer.from(first.tag, "base64")).toHaveLength(16);
    expect(first.iv).not.toBe(second.iv); // a fresh IV every time
    expect(first.ciphertext).not.toBe(second.ciphertext);
    const stored = JSON.stringify(first);
    expect(stored).not.toContain("whsec_");
    expect(stored).not.toContain(secret.slice("whsec_".length));
  });

  it("unwraps each wrapped key once per container: one Decrypt for many opens, with the context", async () => {
    const api = container();
    const secrets = Array.from({ length: 10 }, () => newSigningSecret());
    const sealed = await Promise.all(secrets.map((secret) => api.seal(secret)));

    const deliverer = container();
    expect(await Promise.all(sealed.map((record) => deliverer.open(record)))).toEqual(secrets);
    for (const record of sealed) await deliverer.open(record); // a warm container, later
    expect(fake.kms).toHaveReceivedCommandTimes(DecryptCommand, 1);
    expect(fake.kms).toHaveReceivedCommandWith(DecryptCommand, {
      KeyId: TEST_KMS_KEY_ID,
      EncryptionContext: SIGNING_SECRET_CONTEXT,
    });
  });

  it("unwraps the keys of two containers once each", async () => {
    const [a, b] = [container(), container()];
    const sealed = [await a.seal(newSigningSecret()), await b.seal(newSigningSecret())];
    const reader = container();
    for (let round = 0; round < 3; round++) {
      for (const record of sealed) await reader.open(record);
    }
    expect(fake.kms).toHaveReceivedCommandTimes(DecryptCommand, 2);
  });

  it.each([
    ["ciphertext", (s: SealedSecret) => ({ ...s, ciphertext: flip(s.ciphertext) })],
    ["tag", (s: SealedSecret) => ({ ...s, tag: flip(s.tag, 15) })],
    ["IV", (s: SealedSecret) => ({ ...s, iv: flip(s.iv) })],
    ["a truncated tag", (s: SealedSecret) => ({ ...s, tag: s.tag.slice(0, 8) })],
  ])("refuses a record whose %s was tampered with", async (_, tamper) => {
    const vault = container();
    const sealed = await vault.seal(newSigningSecret());
    await expect(container().open(tamper(sealed))).rejects.toBeInstanceOf(UnreadableSecret);
    await expect(vault.open(tamper(sealed))).rejects.toThrow("failed authentication");
  });

  it("refuses a tampered wrapped key as KMS does, and does not ask KMS about it again", async () => {
    const sealed = await container().seal(newSigningSecret());
    const reader = container();
    const tampered = { ...sealed, key: flip(sealed.key, 20) };
    await expect(reader.open(tampered)).rejects.toThrow(/InvalidCiphertextException/);
    await expect(reader.open(tampered)).rejects.toBeInstanceOf(UnreadableSecret);
    expect(fake.kms).toHaveReceivedCommandTimes(DecryptCommand, 1);
  });

  it("throws a KMS fault as it is and asks again at the next open", async () => {
    const secret = newSigningSecret();
    const sealed = await container().seal(secret);
    const throttled = new KMSServiceException({
      name: "ThrottlingException",
      $fault: "client",
      $metadata: {},
      message: "slow down",
    });
    fake.kms.on(DecryptCommand).rejects(throttled);
    const reader = container();
    const first = reader.open(sealed);
    await expect(first).rejects.toThrow("slow down");
    await expect(first).rejects.not.toBeInstanceOf(UnreadableSecret);
    fake.reset();
    expect(await reader.open(sealed)).toBe(secret);
  });

  it("asks for a new data key at the next seal when GenerateDataKey failed", async () => {
    fake.kms.on(GenerateDataKeyCommand).rejectsOnce(new Error("kms unreachable"));
    const vault = container();
    await expect(vault.seal(newSigningSecret())).rejects.toThrow("kms unreachable");
    fake.reset();
    const secret = newSigningSecret();
    expect(await vault.open(await vault.seal(secret))).toBe(secret);
  });

  it("keeps at most the configured number of unwrapped keys, dropping the least recently used", async () => {
    const sealed = await Promise.all(
      [container(), container(), container()].map((vault) => vault.seal(newSigningSecret())),
    );
    const [one, two, three] = sealed as [SealedSecret, SealedSecret, SealedSecret];
    const reader = container(2);
    await reader.open(one);
    await reader.open(two);
    await reader.open(one); // one is now the most recent
    await reader.open(three); // drops two
    expect(fake.kms).toHaveReceivedCommandTimes(DecryptCommand, 3);
    await reader.open(one);
    await reader.open(three);
    expect(fake.kms).toHaveReceivedCommandTimes(DecryptCommand, 3);
    await reader.open(two);
    expect(fake.kms).toHaveReceivedCommandTimes(DecryptCommand, 4);
  });
});

describe("kmsVaultFor", () => {
  it("uses the KMS key named by SWITCHYARD_SECRETS_KEY_ID", async () => {
    const vault = kmsVaultFor(loadConfig({ SWITCHYARD_SECRETS_KEY_ID: "alias/switchyard" }));
    const secret = newSigningSecret();
    expect(await vault.open(await vault.seal(secret))).toBe(secret);
    expect(fake.kms).toHaveReceivedCommandWith(GenerateDataKeyCommand, {
      KeyId: "alias/switchyard",
    });
  });

  it("loads KMS at its first call: a cold container opens what another one sealed, then asks no more", async () => {
    const settings = loadConfig({
      SWITCHYARD_SECRETS_KEY_ID: TEST_KMS_KEY_ID,
      SWITCHYARD_AWS_ENDPOINT: "http://127.0.0.1:1",
    });
    const secret = newSigningSecret();
    const sealed = await kmsVaultFor(settings).seal(secret); // the API's container

    const deliverer = kmsVaultFor(settings); // a deliverer's cold start: its first call opens
    const opened = await Promise.all([deliverer.open(sealed), deliverer.open(sealed)]);
    expect(opened).toEqual([secret, secret]);
    expect(await deliverer.open(sealed)).toBe(secret);

    expect(fake.kms).toHaveReceivedCommandTimes(GenerateDataKeyCommand, 1);
    expect(fake.kms).toHaveReceivedCommandTimes(DecryptCommand, 1);
    expect(fake.kms).toHaveReceivedCommandWith(DecryptCommand, {
      KeyId: TEST_KMS_KEY_ID,
      EncryptionContext: SIGNING_SECRET_CONTEXT,
    });
  });

  it("fails at first use, naming the variable, when SWITCHYARD_SECRETS_KEY_ID is unset", async () => {
    const vault = kmsVaultFor(loadConfig({})); // making it does not fail: other routes work
    await expect(vault.seal(newSigningSecret())).rejects.toThrow(
      "SWITCHYARD_SECRETS_KEY_ID is not set",
    );
    const sealed = await container().seal(newSigningSecret());
    await expect(vault.open(sealed)).rejects.toThrow("SWITCHYARD_SECRETS_KEY_ID is not set");
  });
});
