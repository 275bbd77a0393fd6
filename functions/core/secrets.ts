import type { SigningSecret } from "./model.ts";
import type { SecretVault } from "./ports.ts";

/**
 * A sealed secret that this deployment's key cannot open: tampered with, or sealed under a key
 * that is gone (a lost local `secrets.key`). Permanent, unlike a key service that is briefly
 * unreachable; rotating the webhook's secret is the way out.
 */
export class UnreadableSecret extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UnreadableSecret";
  }
}

/** What signs its requests: a webhook subscription or a workflow, newest secret first. */
export interface Signer {
  secrets: SigningSecret[];
}

/** The secrets that still sign at `now`, newest first. */
export function liveSecrets(signer: Signer, now: Date): SigningSecret[] {
  return signer.secrets.filter(
    (secret) => secret.expires_at === null || Date.parse(secret.expires_at) > now.getTime(),
  );
}

/** A secret as it is written back: one still in clear (an older item's) is sealed now. */
export async function sealedForm(
  vault: SecretVault,
  secret: SigningSecret,
): Promise<SigningSecret> {
  if ("sealed" in secret) return secret;
  const { secret: plaintext, ...times } = secret;
  return { ...times, sealed: await vault.seal(plaintext) };
}

/** The secret in clear: opened, or as an item older than sealing holds it. */
export function openSecret(vault: SecretVault, secret: SigningSecret): Promise<string> {
  return "sealed" in secret ? vault.open(secret.sealed) : Promise.resolve(secret.secret);
}

/**
 * The live secrets in clear, newest first, to sign a request with. One that cannot be
 * decrypted (`UnreadableSecret`) does not sign; any other failure to open one is thrown, so
 * the delivery is tried again rather than signed with fewer secrets than it should be.
 */
export async function signingSecrets(
  vault: SecretVault,
  signer: Signer,
  now: Date,
): Promise<string[]> {
  const opened = await Promise.all(
    liveSecrets(signer, now).map((secret) =>
      openSecret(vault, secret).catch((error: unknown) => {
        if (error instanceof UnreadableSecret) return null;
        throw error;
      }),
    ),
  );
  return opened.filter((secret) => secret !== null);
}
