import { randomBytes } from "node:crypto";
import { attestKeys, env, type AttestKey } from "@/lib/env";

/** A fresh key with an id of its own. */
export const newKey = (): AttestKey => ({
  id: `t${randomBytes(4).toString("hex")}`,
  secret: randomBytes(32).toString("base64url"),
});

/**
 * Rotates the ring as an operator does: a new key first in ATTEST_KEYS, the keys before it kept
 * after it to read. Returns the new key and a function that puts the ring back as it was.
 */
export function rotateToNewKey(): { key: AttestKey; before: AttestKey[]; restore: () => void } {
  const configured = env.ATTEST_KEYS;
  const before = attestKeys();
  const key = newKey();
  env.ATTEST_KEYS = [key, ...before];
  return { key, before, restore: () => void (env.ATTEST_KEYS = configured) };
}
