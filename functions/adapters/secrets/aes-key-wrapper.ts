import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { UnreadableSecret } from "../../core/secrets.ts";
import type { KeyWrapper } from "./envelope-vault.ts";

const CIPHER = "aes-256-gcm";
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The local counterpart of the KMS encryption context: a wrapped key is only ever a data key. */
const AAD = Buffer.from("switchyard-data-key/v1");

/**
 * Wraps data keys with AES-256-GCM under a 32-byte key held in memory (the local runtime's
 * `secrets.key`): the wrapped key is IV (12 bytes) ‖ tag (16) ‖ ciphertext (32).
 */
export function aesKeyWrapper(wrappingKey: Buffer): KeyWrapper {
  if (wrappingKey.length !== KEY_BYTES) {
    throw new Error(`a wrapping key is ${KEY_BYTES} bytes, not ${wrappingKey.length}`);
  }
  return {
    async generateDataKey() {
      const plaintext = randomBytes(KEY_BYTES);
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(CIPHER, wrappingKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(AAD);
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return { plaintext, wrapped: Buffer.concat([iv, cipher.getAuthTag(), ciphertext]) };
    },

    async unwrap(wrapped) {
      try {
        const decipher = createDecipheriv(CIPHER, wrappingKey, wrapped.subarray(0, IV_BYTES), {
          authTagLength: TAG_BYTES,
        });
        decipher.setAAD(AAD);
        decipher.setAuthTag(wrapped.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([
          decipher.update(wrapped.subarray(IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]);
      } catch (error) {
        throw new UnreadableSecret(
          "a signing secret's data key was not wrapped by this key (was the key file replaced?)",
          { cause: error },
        );
      }
    },
  };
}
