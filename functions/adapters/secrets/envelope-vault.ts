import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { SealedSecret } from "../../core/model.ts";
import type { SecretVault } from "../../core/ports.ts";
import { UnreadableSecret } from "../../core/secrets.ts";

/** Wraps and unwraps data keys under a key kept outside the table: KMS, or a local key file. */
export interface KeyWrapper {
  /** A new AES-256 data key, in clear and wrapped. */
  generateDataKey(): Promise<{ plaintext: Buffer; wrapped: Buffer }>;
  /** The data key in clear; throws `UnreadableSecret` when `wrapped` is not one of this key's. */
  unwrap(wrapped: Buffer): Promise<Buffer>;
}

const CIPHER = "aes-256-gcm";
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Binds each ciphertext to what it is, so no other sealed value can pass for a secret. */
const AAD = Buffer.from("switchyard-signing-secret/v1");
/** Unwrapped data keys kept per container; far more than the containers that ever sealed. */
const DEFAULT_MAX_CACHED_KEYS = 1000;

/**
 * Envelope encryption of signing secrets: each is sealed with AES-256-GCM under a data key, and
 * the record carries that data key wrapped by the outer key. One data key is made per
 * container and seals everything the container seals; each distinct wrapped key is unwrapped
 * once per container and kept in memory, so a warm container calls the outer key for neither.
 * (Random 96-bit IVs stay safe far beyond what one container seals.)
 */
export function createEnvelopeVault(
  wrapper: KeyWrapper,
  maxCachedKeys = DEFAULT_MAX_CACHED_KEYS,
): SecretVault {
  let sealingKey: Promise<{ plaintext: Buffer; wrapped: string }> | undefined;
  // Insertion order is recency order: a hit moves its key to the end, the oldest goes first.
  const unwrapped = new Map<string, Promise<Buffer>>();

  const remember = (wrapped: string, key: Promise<Buffer>) => {
    unwrapped.delete(wrapped);
    unwrapped.set(wrapped, key);
    if (unwrapped.size > maxCachedKeys) {
      const [oldest] = unwrapped.keys();
      if (oldest !== undefined) unwrapped.delete(oldest);
    }
  };

  const dataKeyFor = (wrapped: string): Promise<Buffer> => {
    const cached = unwrapped.get(wrapped);
    if (cached) {
      remember(wrapped, cached);
      return cached;
    }
    const key = wrapper.unwrap(Buffer.from(wrapped, "base64"));
    remember(wrapped, key);
    // An unreadable key stays cached (asking again answers the same); any other failure is
    // forgotten, so the next open asks again.
    key.catch((error: unknown) => {
      if (!(error instanceof UnreadableSecret) && unwrapped.get(wrapped) === key) {
        unwrapped.delete(wrapped);
      }
    });
    return key;
  };

  const currentSealingKey = () => {
    if (!sealingKey) {
      const made = wrapper.generateDataKey().then(({ plaintext, wrapped }) => {
        const encoded = wrapped.toString("base64");
        remember(encoded, Promise.resolve(plaintext)); // opening what this container sealed is free
        return { plaintext, wrapped: encoded };
      });
      made.catch(() => {
        if (sealingKey === made) sealingKey = undefined; // ask again at the next seal
      });
      sealingKey = made;
    }
    return sealingKey;
  };

  return {
    async seal(plaintext) {
      const key = await currentSealingKey();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(CIPHER, key.plaintext, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(AAD);
      const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return {
        v: 1,
        key: key.wrapped,
        iv: iv.toString("base64"),
        ciphertext: ciphertext.toString("base64"),
        tag: cipher.getAuthTag().toString("base64"),
      };
    },

    async open(sealed: SealedSecret) {
      if (sealed.v !== 1) throw new UnreadableSecret(`unknown sealed secret version ${sealed.v}`);
      const key = await dataKeyFor(sealed.key);
      try {
        const decipher = createDecipheriv(CIPHER, key, Buffer.from(sealed.iv, "base64"), {
          authTagLength: TAG_BYTES,
        });
        decipher.setAAD(AAD);
        decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
        const plaintext = Buffer.concat([
          decipher.update(Buffer.from(sealed.ciphertext, "base64")),
          decipher.final(),
        ]);
        return plaintext.toString("utf8");
      } catch (error) {
        throw new UnreadableSecret("a sealed signing secret failed authentication", {
          cause: error,
        });
      }
    },
  };
}
