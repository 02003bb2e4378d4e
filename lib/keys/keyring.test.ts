import { createCipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { LinkError, signLink, verifyLink } from "@/lib/consent/links";
import { authSecret, env } from "@/lib/env";
import {
  currentKeyId,
  keyedHash,
  keyedHashMatches,
  keyedHashesUnderEveryKey,
  seal,
  sealedKeyId,
  unseal,
  UnknownKeyError,
} from "./keyring";
import { newKey, rotateToNewKey } from "./testing";

// What the code wrote before the keyring, with every key derived from AUTH_SECRET: written out here
// as it was, so that the test fails if the keyring stops reading it.
const legacyKey = (label: string) => Buffer.from(hkdfSync("sha256", authSecret(), "attest", label, 32));
function legacySeal(text: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", legacyKey("outbox message body"), iv);
  const ciphertext = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
  return "sealed:v1:" + [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString("base64url")).join(".");
}
const legacyHash = (label: string, message: string) =>
  createHmac("sha256", legacyKey(label)).update(message).digest("hex");
function legacyLink(tenantId: string, id: string, expiresAt: Date): string {
  const header = Buffer.alloc(6);
  header.writeUInt8(1, 0);
  header.writeUInt8(2, 1); // dispute
  header.writeUInt32BE(Math.floor(expiresAt.getTime() / 1000), 2);
  const payload = Buffer.concat([
    header,
    Buffer.from(tenantId.replaceAll("-", ""), "hex"),
    Buffer.from(id.replaceAll("-", ""), "hex"),
  ]);
  const mac = createHmac("sha256", legacyKey("consent links")).update(payload).digest().subarray(0, 16);
  return Buffer.concat([payload, mac]).toString("base64url");
}

const tenantId = "0b6a8f5e-2c1d-4e7f-9a3b-5c6d7e8f9a0b";
const eventId = "11111111-2222-4333-8444-555555555555";
const inAMonth = new Date(Date.now() + 30 * 86_400_000);
inAMonth.setUTCMilliseconds(0);

describe("the keyring", () => {
  const configured = env.ATTEST_KEYS;
  afterEach(() => void (env.ATTEST_KEYS = configured));

  it("seals with the current key, named beside the value, and still opens what an older key sealed", () => {
    const old = seal("123456 is your code");
    expect(old.startsWith(`sealed:v2:${currentKeyId()}:`)).toBe(true);
    expect(old).not.toContain("123456");
    const { key, before } = rotateToNewKey();
    const fresh = seal("654321 is your code");
    expect(sealedKeyId(fresh)).toBe(key.id);
    expect(unseal(fresh)).toBe("654321 is your code");
    expect(unseal(old)).toBe("123456 is your code"); // read-only keys still read

    env.ATTEST_KEYS = [key]; // the old key retired too early
    expect(() => unseal(old)).toThrow(UnknownKeyError);
    expect(() => unseal(old)).toThrow(`made with the key '${before[0]!.id}', which is not in ATTEST_KEYS`);
    expect(unseal(fresh)).toBe("654321 is your code");
  });

  it("refuses a sealed value whose key id was changed, as the key id is sealed with it", () => {
    const { key, before } = rotateToNewKey();
    env.ATTEST_KEYS = [key, ...before, { id: "other", secret: key.secret }]; // same secret, another name
    const sealed = seal("secret");
    expect(() => unseal(sealed.replace(`:${key.id}:`, ":other:"))).toThrow();
  });

  it("reads values from before the keyring with the legacy key: AUTH_SECRET, or legacy:<secret> once it changed", () => {
    const sealed = legacySeal("a reset link");
    const hash = legacyHash("consent contact points", "t:ann@example.com");
    expect(unseal(sealed)).toBe("a reset link");
    expect(keyedHashMatches("contactPoints", "t:ann@example.com", hash)).toBe(true);
    expect(keyedHashesUnderEveryKey("contactPoints", "t:ann@example.com")).toContain(hash);

    // AUTH_SECRET rotated for sessions: the former one, named `legacy`, keeps the old values readable.
    env.ATTEST_KEYS = [newKey(), { id: "legacy", secret: "x".repeat(40) }];
    expect(() => unseal(sealed)).toThrow(); // not the secret it was made with
    env.ATTEST_KEYS = [newKey(), { id: "legacy", secret: authSecret() }];
    expect(unseal(sealed)).toBe("a reset link");
  });

  it("hashes with the current key and compares with the key a stored hash names", () => {
    const old = keyedHash("contactPoints", "t:+447911123456");
    expect(old).toMatch(new RegExp(`^${currentKeyId()}:[0-9a-f]{64}$`));
    const { key } = rotateToNewKey();
    const fresh = keyedHash("contactPoints", "t:+447911123456");
    expect(fresh).toMatch(new RegExp(`^${key.id}:[0-9a-f]{64}$`));
    expect(fresh).not.toBe(old);
    expect(keyedHashMatches("contactPoints", "t:+447911123456", old)).toBe(true);
    expect(keyedHashMatches("contactPoints", "t:+447911123456", fresh)).toBe(true);
    expect(keyedHashMatches("contactPoints", "t:+447911000000", old)).toBe(false);
    // Another purpose's subkey gives another hash: a code hash cannot stand for a contact point.
    expect(keyedHashMatches("oneTimeCodes", "t:+447911123456", fresh)).toBe(false);
    const every = keyedHashesUnderEveryKey("contactPoints", "t:+447911123456");
    expect(every[0]).toBe(fresh);
    expect(every).toContain(old);
  });

  it("signs consent links with a key byte, still verifies older keys' links, and refuses a retired key's", () => {
    const old = signLink({ purpose: "dispute", tenantId, ids: [eventId], expiresAt: inAMonth });
    const legacy = legacyLink(tenantId, eventId, inAMonth);
    const { key } = rotateToNewKey();
    const fresh = signLink({ purpose: "dispute", tenantId, ids: [eventId], expiresAt: inAMonth });
    expect(fresh.length).toBeLessThanOrEqual(80); // still fits an SMS
    for (const token of [old, legacy, fresh])
      expect(verifyLink(token, "dispute")).toEqual({
        purpose: "dispute",
        tenantId,
        ids: [eventId],
        expiresAt: inAMonth,
      });

    env.ATTEST_KEYS = [key, { id: "legacy", secret: "x".repeat(40) }];
    for (const token of [old, legacy]) {
      expect(() => verifyLink(token, "dispute")).toThrow(LinkError);
      expect(() => verifyLink(token, "dispute")).toThrow("it was changed after we sent it");
    }
    expect(verifyLink(fresh, "dispute").ids).toEqual([eventId]);
  });
});
