import { createHmac, randomBytes } from "node:crypto";

const SECRET_PREFIX = "whsec_";
const SECRET_BYTES = 32;

/** A new signing secret: `whsec_` + base64 of 32 random bytes (SPEC §2.3). */
export function newSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString("base64");
}

/** The HMAC key of a secret: the base64-decoded part after `whsec_` (SPEC §3). */
export function signingKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error("a signing secret starts with whsec_");
  return Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");
}

export interface SignatureHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
  "x-switchyard-signature": string;
}

/**
 * Both signatures of one request. `secretsNewestFirst` holds the live secrets — two during
 * the 24 h after a rotation — and each signs `webhook-signature` (Standard Webhooks), so a
 * receiver that still holds the old secret keeps verifying. The simple hex signature over
 * the body alone uses the newest secret.
 */
export function signatureHeaders(
  secretsNewestFirst: readonly string[],
  webhookId: string,
  timestampSeconds: number,
  body: string,
): SignatureHeaders {
  const [newest] = secretsNewestFirst;
  if (newest === undefined) throw new Error("a request needs at least one signing secret");
  const signedContent = `${webhookId}.${timestampSeconds}.${body}`;
  const signatures = secretsNewestFirst.map(
    (secret) => `v1,${hmac(secret, signedContent).toString("base64")}`,
  );
  return {
    "webhook-id": webhookId,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": signatures.join(" "),
    "x-switchyard-signature": hmac(newest, body).toString("hex"),
  };
}

function hmac(secret: string, content: string): Buffer {
  return createHmac("sha256", signingKey(secret)).update(content, "utf8").digest();
}

/** What one attempt of a delivery sends, besides its body. */
export interface AttemptHeaders {
  secretsNewestFirst: readonly string[];
  deliveryId: string;
  at: Date;
  body: string;
  eventType: string;
  attempt: number;
  userAgent: string;
  /**
   * A workflow's rendered headers or a subscription's static ones: none is one of Switchyard's
   * (checked when saved), and Switchyard's are set after them, so none could override one.
   */
  own?: Record<string, string> | undefined;
}

/** Every header of one attempt (SPEC §3): Switchyard's set after the target's own. */
export function attemptHeaders(request: AttemptHeaders): Record<string, string> {
  const timestamp = Math.floor(request.at.getTime() / 1000);
  return {
    ...request.own,
    "content-type": "application/json",
    "user-agent": request.userAgent,
    ...signatureHeaders(request.secretsNewestFirst, request.deliveryId, timestamp, request.body),
    "x-switchyard-event": request.eventType,
    "x-switchyard-attempt": String(request.attempt),
  };
}
