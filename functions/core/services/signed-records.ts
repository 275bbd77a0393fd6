import type { Clock } from "../clock.ts";
import { Conflict } from "../errors.ts";
import type { SigningSecret } from "../model.ts";
import type { SecretVault } from "../ports.ts";
import { liveSecrets, openSecret, type Signer, sealedForm, UnreadableSecret } from "../secrets.ts";
import { newSigningSecret } from "../sign.ts";

/**
 * What webhook subscriptions and workflows share (SPEC §2.3, §2.4): a record of the app's
 * configuration that signs its requests with secrets of its own, shown on create, by a secret
 * route and by a rotation, and that is rewritten only from the version it was read at.
 */
export interface SignedRecord extends Signer {
  id: string;
  /** Raised by every write; absent on items older than versions, which count as 0. */
  version?: number;
}

/** How a service reads and conditionally rewrites one kind of signed record. */
export interface SignedRecords<T extends SignedRecord> {
  /** How its errors name a record: `webhook "sub_…"`. */
  label: (id: string) => string;
  /** The record, or a 404 for a missing, foreign or malformed id. */
  mustExist: (appId: string, id: string) => Promise<T>;
  /** Writes back a record read at `record.version`; false when written since. */
  replace: (appId: string, record: T) => Promise<boolean>;
}

/** After a rotation the old secret keeps signing alongside the new one for 24 h (§2.3). */
const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

/** Reads and writes of one change before a 409: each lost race re-reads and re-applies it. */
const REWRITE_TRIES = 3;

/** A new signing secret, in clear for the answer and sealed for the table. */
export async function newSecret(vault: SecretVault, clock: Clock) {
  const secret = newSigningSecret();
  const sealed: SigningSecret = {
    sealed: await vault.seal(secret),
    created_at: clock.now().toISOString(),
    expires_at: null,
  };
  return { secret, sealed };
}

/** The record as lists and GET show it: never with its secrets (nor its write version). */
export function withoutSecrets<T extends SignedRecord>(record: T) {
  const { secrets: _secrets, version: _version, ...view } = record;
  return view;
}

/** The record's secrets as they are written back: any still in clear sealed now. */
export function sealedSecrets(vault: SecretVault, record: SignedRecord) {
  return Promise.all(record.secrets.map((secret) => sealedForm(vault, secret)));
}

/** The newest secret in clear; 409 when this deployment's key cannot open it. */
export async function shownSecret<T extends SignedRecord>(
  records: SignedRecords<T>,
  vault: SecretVault,
  appId: string,
  id: string,
) {
  const [newest] = (await records.mustExist(appId, id)).secrets;
  if (!newest) throw new Error(`${records.label(id)} has no secret`);
  try {
    return { secret: await openSecret(vault, newest) };
  } catch (error) {
    if (!(error instanceof UnreadableSecret)) throw error;
    throw new Conflict(
      `the secret of ${records.label(id)} cannot be decrypted with this deployment's key: rotate it`,
    );
  }
}

/** A new secret signs from now on; the previous one keeps signing for 24 h beside it. */
export async function rotateSecret<T extends SignedRecord>(
  records: SignedRecords<T>,
  deps: { vault: SecretVault; clock: Clock },
  appId: string,
  id: string,
) {
  const first = await records.mustExist(appId, id);
  const now = deps.clock.now();
  const overlapEnds = new Date(now.getTime() + ROTATION_OVERLAP_MS).toISOString();
  const { secret, sealed } = await newSecret(deps.vault, deps.clock);
  await rewrite(records, appId, first, async (current) => {
    // The newest live secret of what is stored now, so a rotation that won the race just
    // before this one is the secret that keeps signing for the overlap.
    const [previous] = liveSecrets(current, now);
    const secrets: SigningSecret[] = [
      sealed,
      ...(previous
        ? [{ ...(await sealedForm(deps.vault, previous)), expires_at: overlapEnds }]
        : []),
    ];
    return { ...current, secrets, updated_at: now.toISOString() };
  });
  return { secret };
}

/**
 * Writes `change(current)` back unless another write landed since `current` was read; then
 * reads the record again and re-applies the change, so a lost race never undoes the other
 * write (a PATCH cannot bring back the secret a rotation just replaced). After REWRITE_TRIES
 * lost races in a row: 409, nothing of this change written.
 */
export async function rewrite<T extends SignedRecord>(
  records: SignedRecords<T>,
  appId: string,
  first: T,
  change: (current: T) => Promise<T>,
): Promise<T> {
  let current = first;
  for (let tries = 1; ; tries++) {
    const updated = await change(current);
    if (await records.replace(appId, updated)) return updated;
    if (tries === REWRITE_TRIES) {
      throw new Conflict(
        `${records.label(first.id)} is being changed by another request: try again`,
      );
    }
    current = await records.mustExist(appId, first.id); // 404 when it was deleted
  }
}
