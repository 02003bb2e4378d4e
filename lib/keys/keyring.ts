import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";
import { LEGACY_KEY_ID, attestKeys, authSecret, type AttestKey } from "@/lib/env";

/**
 * The keyring (ATTEST_KEYS): every key that seals, hashes or signs data, the first one current and
 * the others kept only to read what they made. Each key gives one subkey per purpose (HKDF), and
 * every sealed value, keyed hash and signature names the key it was made with, so a rotation never
 * breaks what was written before: `npm run keys:rotate` re-seals what it can, and tells which old
 * keys are still needed for the rest (keyed hashes in the consent ledger can never be rewritten).
 *
 * Values written before the keyring carry no key id: they are read with the `legacy` key, the secret
 * they were derived from (AUTH_SECRET, or a `legacy:<that secret>` entry of ATTEST_KEYS once
 * AUTH_SECRET has changed). The derivation is the one they were made with, so the same label gives
 * the same subkey.
 */
const PURPOSES = {
  sealing: "outbox message body",
  oneTimeCodes: "one-time codes",
  paymentFingerprints: "payment vault fingerprints",
  consentLinks: "consent links",
  contactPoints: "consent contact points",
} as const;
export type KeyPurpose = keyof typeof PURPOSES;

/** A value made with a key that the ring no longer holds. */
export class UnknownKeyError extends Error {
  constructor(readonly keyId: string) {
    super(
      keyId === LEGACY_KEY_ID
        ? "A value from before the keyring cannot be read: AUTH_SECRET is not the secret it was made with. Add legacy:<the former AUTH_SECRET> to ATTEST_KEYS."
        : `A value was made with the key '${keyId}', which is not in ATTEST_KEYS: add that key back (after the current one) to read it.`,
    );
  }
}

type Ring = { keys: AttestKey[]; current: string; secrets: Map<string, string>; subkeys: Map<string, Buffer> };
let cached: Ring | undefined;

function ring(): Ring {
  const keys = attestKeys();
  if (cached?.keys !== keys)
    cached = { keys, current: keys[0]!.id, secrets: new Map(keys.map((k) => [k.id, k.secret])), subkeys: new Map() };
  return cached;
}

/** The id of the key that seals, hashes and signs now. */
export const currentKeyId = (): string => ring().current;

/** Every key the ring reads with: its own, and the legacy one (AUTH_SECRET unless given). */
function readableKeyIds(): string[] {
  const ids = [...ring().secrets.keys()];
  return ids.includes(LEGACY_KEY_ID) ? ids : [...ids, LEGACY_KEY_ID];
}

function subkey(purpose: KeyPurpose, keyId: string): Buffer {
  const r = ring();
  const name = `${purpose}:${keyId}`;
  let key = r.subkeys.get(name);
  if (key) return key;
  const secret = r.secrets.get(keyId) ?? (keyId === LEGACY_KEY_ID ? authSecret() : undefined);
  if (secret === undefined) throw new UnknownKeyError(keyId);
  key = Buffer.from(hkdfSync("sha256", secret, "attest", PURPOSES[purpose], 32));
  r.subkeys.set(name, key);
  return key;
}

// ---------------------------------------------------------------------------------------------
// Sealing: AES-256-GCM. `sealed:v2:<key id>:<iv>.<tag>.<ciphertext>` (the key id authenticated with
// it); `sealed:v1:<iv>.<tag>.<ciphertext>` was written before the keyring, with the legacy key.

const V1 = "sealed:v1:";
const V2 = "sealed:v2:";

export const isSealed = (value: string) => value.startsWith(V2) || value.startsWith(V1);

/** The key a sealed value was made with. */
export const sealedKeyId = (value: string): string =>
  value.startsWith(V2) ? value.slice(V2.length, value.indexOf(":", V2.length)) : LEGACY_KEY_ID;

export function seal(text: string): string {
  const keyId = currentKeyId();
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", subkey("sealing", keyId), iv);
  cipher.setAAD(Buffer.from(keyId));
  const ciphertext = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
  return `${V2}${keyId}:` + [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString("base64url")).join(".");
}

/** The clear text of a sealed value (or the value itself when it was not sealed). */
export function unseal(value: string): string {
  if (!isSealed(value)) return value;
  const keyId = sealedKeyId(value);
  const parts = keyId === LEGACY_KEY_ID ? value.slice(V1.length) : value.slice(V2.length + keyId.length + 1);
  const [iv, tag, ciphertext] = parts.split(".").map((p) => Buffer.from(p, "base64url"));
  const decipher = createDecipheriv("aes-256-gcm", subkey("sealing", keyId), iv!);
  if (keyId !== LEGACY_KEY_ID) decipher.setAAD(Buffer.from(keyId));
  decipher.setAuthTag(tag!);
  return Buffer.concat([decipher.update(ciphertext!), decipher.final()]).toString("utf8");
}

// ---------------------------------------------------------------------------------------------
// Keyed hashes: HMAC-SHA256, stored as `<key id>:<hex>` (bare hex: the legacy key). A hash is
// compared by hashing again with the key it names; a lookup by hash tries every key of the ring.

/** The key a stored keyed hash was made with. */
export function hashKeyId(stored: string): string {
  const at = stored.indexOf(":");
  return at < 0 ? LEGACY_KEY_ID : stored.slice(0, at);
}

/** The keyed hash of `message`, as stored, with the current key or the one named. */
export function keyedHash(purpose: KeyPurpose, message: string, keyId = currentKeyId()): string {
  const hex = createHmac("sha256", subkey(purpose, keyId)).update(message).digest("hex");
  return keyId === LEGACY_KEY_ID ? hex : `${keyId}:${hex}`;
}

/** Whether `message` is what `stored` is the hash of, compared in constant time. */
export function keyedHashMatches(purpose: KeyPurpose, message: string, stored: string): boolean {
  const expected = Buffer.from(keyedHash(purpose, message, hashKeyId(stored)));
  const given = Buffer.from(stored);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** `message` hashed with every key the ring reads with, the current key first: what a lookup by hash asks for. */
export function keyedHashesUnderEveryKey(purpose: KeyPurpose, message: string): string[] {
  return readableKeyIds().map((keyId) => keyedHash(purpose, message, keyId));
}

// ---------------------------------------------------------------------------------------------
// Signatures for compact tokens: one byte names the key (the first byte of SHA-256 of its id; two
// ids sharing one are both tried), and a truncated HMAC-SHA256 signs.

const keyByteOf = (keyId: string) => createHash("sha256").update(keyId).digest()[0]!;

/** The current key's byte and a signer with it; the byte belongs inside what is signed. */
export function currentSigner(purpose: KeyPurpose): { keyByte: number; sign(data: Buffer, bytes: number): Buffer } {
  const key = subkey(purpose, currentKeyId());
  return {
    keyByte: keyByteOf(currentKeyId()),
    sign: (data, bytes) => createHmac("sha256", key).update(data).digest().subarray(0, bytes),
  };
}

/**
 * Whether `signature` signs `data` with a key of the ring whose byte is `keyByte` (null: the legacy
 * key), compared in constant time. A signature of a key no longer held fails like a forged one.
 */
export function signatureValid(purpose: KeyPurpose, keyByte: number | null, data: Buffer, signature: Buffer): boolean {
  if (signature.length < 16 || signature.length > 32) return false;
  const candidates =
    keyByte === null
      ? [LEGACY_KEY_ID]
      : readableKeyIds().filter((id) => id !== LEGACY_KEY_ID && keyByteOf(id) === keyByte);
  return candidates.some((keyId) =>
    timingSafeEqual(
      createHmac("sha256", subkey(purpose, keyId)).update(data).digest().subarray(0, signature.length),
      signature,
    ),
  );
}
