import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { authSecret } from "@/lib/env";

/**
 * Sealing for message bodies that must never rest in clear (one-time codes, reset links): AES-256-GCM
 * with a key derived from the app's secret. A sealed body reads `sealed:v1:<iv>.<tag>.<ciphertext>`.
 */
const PREFIX = "sealed:v1:";

let key: Buffer | undefined;
function sealingKey(): Buffer {
  key ??= Buffer.from(hkdfSync("sha256", authSecret(), "attest", "outbox message body", 32));
  return key;
}

export function seal(text: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", sealingKey(), iv);
  const ciphertext = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
  return PREFIX + [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString("base64url")).join(".");
}

export const isSealed = (value: string) => value.startsWith(PREFIX);

/** The clear text of a sealed body (or the value itself when it was not sealed). */
export function unseal(value: string): string {
  if (!isSealed(value)) return value;
  const [iv, tag, ciphertext] = value.slice(PREFIX.length).split(".").map((p) => Buffer.from(p, "base64url"));
  const decipher = createDecipheriv("aes-256-gcm", sealingKey(), iv!);
  decipher.setAuthTag(tag!);
  return Buffer.concat([decipher.update(ciphertext!), decipher.final()]).toString("utf8");
}
