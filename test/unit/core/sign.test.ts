import { createHmac } from "node:crypto";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { newSigningSecret, signatureHeaders, signingKey } from "../../../functions/core/sign.ts";
import fixture from "../../fixtures/signatures.json" with { type: "json" };

interface Vector {
  name: string;
  secret?: string;
  secrets_newest_first?: string[];
  webhook_id: string;
  webhook_timestamp: string;
  body: string;
  webhook_signature: string;
  x_switchyard_signature: string;
}

const vectors: Vector[] = fixture.cases;
const secretsOf = (vector: Vector): string[] =>
  vector.secrets_newest_first ?? (vector.secret === undefined ? [] : [vector.secret]);
const singleSecretVectors = vectors.filter((vector) => vector.secret !== undefined);
const rotationVector = vectors.find((vector) => vector.secrets_newest_first !== undefined);

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

afterEach(() => {
  vi.useRealTimers();
});

describe("signatureHeaders against test/fixtures/signatures.json", () => {
  it("covers single-secret vectors and a rotation vector", () => {
    expect(singleSecretVectors.length).toBeGreaterThanOrEqual(3);
    expect(rotationVector?.secrets_newest_first).toHaveLength(2);
  });

  it.each(vectors.map((vector) => [vector.name, vector] as const))("%s", (_, vector) => {
    const headers = signatureHeaders(
      secretsOf(vector),
      vector.webhook_id,
      Number(vector.webhook_timestamp),
      vector.body,
    );
    expect(headers).toEqual({
      "webhook-id": vector.webhook_id,
      "webhook-timestamp": vector.webhook_timestamp,
      "webhook-signature": vector.webhook_signature,
      "x-switchyard-signature": vector.x_switchyard_signature,
    });
  });
});

describe("the fixture vectors checked with the standardwebhooks package", () => {
  it.each(singleSecretVectors.map((vector) => [vector.name, vector] as const))(
    "%s: Webhook.sign gives the vector's webhook-signature",
    (_, vector) => {
      const webhook = new Webhook(vector.secret as string);
      const at = new Date(Number(vector.webhook_timestamp) * 1000);
      expect(webhook.sign(vector.webhook_id, at, vector.body)).toBe(vector.webhook_signature);
    },
  );

  it.each(singleSecretVectors.map((vector) => [vector.name, vector] as const))(
    "%s: Webhook.verify accepts our headers at the vector's timestamp",
    (_, vector) => {
      vi.useFakeTimers({ toFake: ["Date"], now: Number(vector.webhook_timestamp) * 1000 });
      const headers = signatureHeaders(
        [vector.secret as string],
        vector.webhook_id,
        Number(vector.webhook_timestamp),
        vector.body,
      );
      expect(() =>
        new Webhook(vector.secret as string).verify(vector.body, { ...headers }),
      ).not.toThrow();
    },
  );
});

describe("signatureHeaders verified by a Standard Webhooks receiver now", () => {
  const secret = newSigningSecret();
  const body = JSON.stringify({ id: "msg_x", type: "contact_created", data: { n: 1 } });

  it("verifies a body signed at the current time and returns the parsed body", () => {
    const headers = signatureHeaders([secret], "msg_fresh", nowSeconds(), body);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it("rejects a body changed after signing", () => {
    const headers = signatureHeaders([secret], "msg_fresh", nowSeconds(), body);
    expect(() => new Webhook(secret).verify(`${body} `, { ...headers })).toThrow(
      WebhookVerificationError,
    );
  });

  it("rejects a signature made with another secret", () => {
    const headers = signatureHeaders([newSigningSecret()], "msg_fresh", nowSeconds(), body);
    expect(() => new Webhook(secret).verify(body, { ...headers })).toThrow(
      WebhookVerificationError,
    );
  });

  it("rejects a webhook-id other than the signed one", () => {
    const headers = signatureHeaders([secret], "msg_fresh", nowSeconds(), body);
    expect(() =>
      new Webhook(secret).verify(body, { ...headers, "webhook-id": "msg_other" }),
    ).toThrow(WebhookVerificationError);
  });

  it("verifies an empty body (a GET or DELETE action)", () => {
    const headers = signatureHeaders([secret], "msg_get", nowSeconds(), "");
    expect(() => new Webhook(secret).verify("", { ...headers })).not.toThrow();
  });

  it("after a rotation, verifies with the new secret and with the old one alone", () => {
    const oldSecret = newSigningSecret();
    const newSecret = newSigningSecret();
    const headers = signatureHeaders([newSecret, oldSecret], "msg_rotated", nowSeconds(), body);
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(() => new Webhook(newSecret).verify(body, { ...headers })).not.toThrow();
    expect(() => new Webhook(oldSecret).verify(body, { ...headers })).not.toThrow();
    expect(() => new Webhook(newSigningSecret()).verify(body, { ...headers })).toThrow(
      WebhookVerificationError,
    );
  });

  it("after a rotation, signs x-switchyard-signature with the newest secret only", () => {
    const oldSecret = newSigningSecret();
    const newSecret = newSigningSecret();
    const headers = signatureHeaders([newSecret, oldSecret], "msg_rotated", nowSeconds(), body);
    const hex = (key: Buffer) => createHmac("sha256", key).update(body).digest("hex");
    expect(headers["x-switchyard-signature"]).toBe(hex(signingKey(newSecret)));
    expect(headers["x-switchyard-signature"]).not.toBe(hex(signingKey(oldSecret)));
  });
});

describe("signatureHeaders input checks", () => {
  it("refuses to sign without a secret", () => {
    expect(() => signatureHeaders([], "msg_x", 1, "{}")).toThrow("at least one signing secret");
  });
});

describe("newSigningSecret", () => {
  it("is whsec_ followed by base64 of 32 bytes", () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const encoded = secret.slice("whsec_".length);
    const bytes = Buffer.from(encoded, "base64");
    expect(bytes).toHaveLength(32);
    expect(bytes.toString("base64")).toBe(encoded);
  });

  it("is different every time", () => {
    const secrets = new Set(Array.from({ length: 20 }, () => newSigningSecret()));
    expect(secrets.size).toBe(20);
  });
});

describe("signingKey", () => {
  it("decodes the base64 part after whsec_", () => {
    const key = signingKey("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    expect([...key]).toEqual(Array.from({ length: 32 }, (_, index) => index));
  });

  it("round-trips a new secret to 32 bytes", () => {
    expect(signingKey(newSigningSecret())).toHaveLength(32);
  });

  it("rejects a secret without the whsec_ prefix", () => {
    expect(() => signingKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")).toThrow("whsec_");
  });
});
