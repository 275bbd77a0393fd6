import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { aesKeyWrapper } from "../functions/adapters/secrets/aes-key-wrapper.ts";
import { createEnvelopeVault } from "../functions/adapters/secrets/envelope-vault.ts";
import type { SecretVault } from "../functions/core/ports.ts";

/** The local stand-in for the stack's KMS key: 32 random bytes, in the data dir. */
export const SECRETS_KEY_FILE = "secrets.key";
const KEY_BYTES = 32;

/**
 * The local runtime's secret vault: the same envelope encryption as in the cloud, with data
 * keys wrapped under `<dataDir>/secrets.key` instead of KMS. The file is made on first start
 * (readable by the owner only) and read on every later one; without it, the secrets sealed
 * under it cannot be opened again.
 */
export function openLocalSecretVault(dataDir: string): SecretVault {
  return createEnvelopeVault(aesKeyWrapper(loadOrCreateKey(join(dataDir, SECRETS_KEY_FILE))));
}

function loadOrCreateKey(file: string): Buffer {
  try {
    // "wx": never replace a key that exists, even one another process wrote a moment ago.
    const key = randomBytes(KEY_BYTES);
    writeFileSync(file, key, { mode: 0o600, flag: "wx" });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const key = readFileSync(file);
  if (key.length !== KEY_BYTES) {
    throw new Error(
      `${file} holds ${key.length} bytes, not a ${KEY_BYTES}-byte key: restore it from a backup, or move it away to start with a new key (then rotate every webhook's secret)`,
    );
  }
  return key;
}
