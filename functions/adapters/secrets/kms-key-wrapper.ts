import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { UnreadableSecret } from "../../core/secrets.ts";
import type { KeyWrapper } from "./envelope-vault.ts";

/**
 * Passed on both calls: KMS refuses to unwrap a data key under any other context, and the key
 * policy or CloudTrail can tell these calls apart from any other use of the key.
 */
export const SIGNING_SECRET_CONTEXT = { purpose: "switchyard-signing-secret" };

/** KMS's answers for a wrapped key that is not one of this key's: asking again will not help. */
const UNREADABLE_ERRORS = new Set(["InvalidCiphertextException", "IncorrectKeyException"]);

/** Data keys made and unwrapped by the stack's KMS key (`GenerateDataKey`, `Decrypt`). */
export function kmsKeyWrapper(client: KMSClient, keyId: string): KeyWrapper {
  return {
    async generateDataKey() {
      const { Plaintext, CiphertextBlob } = await client.send(
        new GenerateDataKeyCommand({
          KeyId: keyId,
          KeySpec: "AES_256",
          EncryptionContext: SIGNING_SECRET_CONTEXT,
        }),
      );
      if (!Plaintext || !CiphertextBlob)
        throw new Error("KMS answered GenerateDataKey without a key");
      return { plaintext: Buffer.from(Plaintext), wrapped: Buffer.from(CiphertextBlob) };
    },

    async unwrap(wrapped) {
      try {
        const { Plaintext } = await client.send(
          new DecryptCommand({
            CiphertextBlob: wrapped,
            // Only the stack's key may unwrap a Switchyard data key.
            KeyId: keyId,
            EncryptionContext: SIGNING_SECRET_CONTEXT,
          }),
        );
        if (!Plaintext) throw new Error("KMS answered Decrypt without a key");
        return Buffer.from(Plaintext);
      } catch (error) {
        if (error instanceof Error && UNREADABLE_ERRORS.has(error.name)) {
          throw new UnreadableSecret(`KMS cannot unwrap this data key: ${error.name}`, {
            cause: error,
          });
        }
        throw error;
      }
    },
  };
}
