import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  InvalidCiphertextException,
  KMSClient,
} from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";

export const TEST_KMS_KEY_ID = "arn:aws:kms:us-east-1:123456789012:key/test-signing-secrets";

/**
 * KMS, mocked as a key that really wraps: GenerateDataKey answers a random data key and that
 * key encrypted (AES-GCM, bound to the encryption context) under a master key of the test;
 * Decrypt reverses it and, like KMS, refuses a blob that was altered or a context that
 * differs with InvalidCiphertextException. A mock that echoed would prove nothing.
 */
export function mockKms() {
  const kms = mockClient(KMSClient);
  const master = randomBytes(32);
  const contextBytes = (context: Record<string, string> | undefined) =>
    Buffer.from(JSON.stringify(Object.entries(context ?? {}).sort()));
  const program = () => {
    kms.on(GenerateDataKeyCommand).callsFake((input) => {
      const plaintext = randomBytes(32);
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", master, iv);
      cipher.setAAD(contextBytes(input.EncryptionContext));
      const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return {
        KeyId: input.KeyId,
        Plaintext: new Uint8Array(plaintext),
        CiphertextBlob: new Uint8Array(Buffer.concat([iv, cipher.getAuthTag(), sealed])),
      };
    });
    kms.on(DecryptCommand).callsFake((input) => {
      const blob = Buffer.from(input.CiphertextBlob ?? new Uint8Array());
      try {
        const decipher = createDecipheriv("aes-256-gcm", master, blob.subarray(0, 12));
        decipher.setAAD(contextBytes(input.EncryptionContext));
        decipher.setAuthTag(blob.subarray(12, 28));
        const plaintext = Buffer.concat([decipher.update(blob.subarray(28)), decipher.final()]);
        return { KeyId: input.KeyId, Plaintext: new Uint8Array(plaintext) };
      } catch {
        throw new InvalidCiphertextException({ message: "invalid ciphertext", $metadata: {} });
      }
    });
  };
  program();
  return {
    kms,
    reset() {
      kms.reset();
      program();
    },
    restore: () => kms.restore(),
  };
}

/** A KMS client as the functions make one, pointed nowhere: the mock answers every call. */
export const testKmsClient = () =>
  new KMSClient({
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
