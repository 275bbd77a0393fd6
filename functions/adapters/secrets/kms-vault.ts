import type { Config } from "../../config.ts";
import type { SecretVault } from "../../core/ports.ts";
import { onFirstUse } from "../on-first-use.ts";
import { createEnvelopeVault } from "./envelope-vault.ts";

/**
 * The secret vault of a deployment: envelope encryption under its KMS key. Without
 * SWITCHYARD_SECRETS_KEY_ID every seal and open fails, naming it — at first use, not at start,
 * so routes that need no secret keep working and a misconfigured deployment says what is wrong.
 *
 * The KMS SDK and client are loaded when the vault first calls KMS: the API seals and opens
 * only on a few routes, and a container that has its data keys already calls KMS no more.
 */
export function kmsVaultFor(config: Config): SecretVault {
  const keyId = config.secretsKeyId;
  if (!keyId) {
    const missing = async (): Promise<never> => {
      throw new Error(
        "SWITCHYARD_SECRETS_KEY_ID is not set: signing secrets cannot be sealed or opened",
      );
    };
    return { seal: missing, open: missing };
  }
  const kms = onFirstUse(async () => {
    const [{ kmsKeyWrapper }, { createKmsClient }] = await Promise.all([
      import("./kms-key-wrapper.ts"),
      import("../clients/kms.ts"),
    ]);
    return kmsKeyWrapper(createKmsClient(config.aws), keyId);
  });
  return createEnvelopeVault({
    generateDataKey: async () => (await kms()).generateDataKey(),
    unwrap: async (wrapped) => (await kms()).unwrap(wrapped),
  });
}
