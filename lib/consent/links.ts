import { env } from "@/lib/env";
import { DomainError } from "@/lib/errors";
import { currentSigner, signatureValid } from "@/lib/keys/keyring";

/**
 * Signed links sent to customers: "confirm this consent" (double opt-in, RULES.md A8's second step)
 * and "this wasn't me" in a consent receipt. A link is its own proof: nothing about it is stored, so
 * the token carries what it is for, the tenant, the ids it acts on and when it lapses, and is signed
 * with a key of the keyring. Compact by design (binary, base64url, ~74 characters for one id) so
 * that it fits an SMS.
 *
 * Layout: version 2 (1 byte) · key (1: which key of the ring signed) · purpose (1) · expiry in Unix
 * seconds (4) · tenant id (16) · ids (16 each) · HMAC-SHA256 of all that, truncated to 16 bytes.
 * Version 1, from before the keyring, has no key byte and was signed with the legacy key; its links
 * lapse within 30 days.
 */
export type LinkPurpose = "confirm" | "dispute";
export type LinkClaims = { purpose: LinkPurpose; tenantId: string; ids: string[]; expiresAt: Date };

export const CONFIRM_LINK_TTL_MS = 7 * 24 * 60 * 60 * 1000;
export const DISPUTE_LINK_TTL_MS = 30 * 24 * 60 * 60 * 1000;

const VERSION = 2;
const PURPOSE_CODES: Record<LinkPurpose, number> = { confirm: 1, dispute: 2 };
/** Where each version keeps its key byte (null: none, the legacy key) and how long its header is. */
const LAYOUTS: Record<number, { keyAt: number | null; header: number }> = {
  1: { keyAt: null, header: 1 + 1 + 4 + 16 },
  2: { keyAt: 1, header: 1 + 1 + 1 + 4 + 16 },
};
const MAC_BYTES = 16;
const MAX_IDS = 8;

export type LinkFailure = "malformed" | "tampered" | "wrong_purpose" | "expired";

const FAILURE_MESSAGES: Record<LinkFailure, string> = {
  malformed: "This link is incomplete or damaged. Open it again from the message, or copy the whole address.",
  tampered: "This link is not valid: it was changed after we sent it. Open it again from the message.",
  wrong_purpose: "This link is not meant for this page.",
  expired: "This link has expired.",
};

/** A link that cannot be used, with why: each reason has its own message. */
export class LinkError extends DomainError {
  constructor(readonly reason: LinkFailure) {
    super(FAILURE_MESSAGES[reason]);
  }
}

function uuidBytes(id: string): Buffer {
  const hex = id.replaceAll("-", "");
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error("a link carries UUIDs only");
  return Buffer.from(hex, "hex");
}

function uuidText(bytes: Buffer): string {
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function signLink(claims: LinkClaims): string {
  if (claims.ids.length === 0 || claims.ids.length > MAX_IDS) throw new Error(`a link carries 1 to ${MAX_IDS} ids`);
  const signer = currentSigner("consentLinks");
  const header = Buffer.alloc(7);
  header.writeUInt8(VERSION, 0);
  header.writeUInt8(signer.keyByte, 1);
  header.writeUInt8(PURPOSE_CODES[claims.purpose], 2);
  header.writeUInt32BE(Math.floor(claims.expiresAt.getTime() / 1000), 3);
  const payload = Buffer.concat([header, uuidBytes(claims.tenantId), ...claims.ids.map(uuidBytes)]);
  return Buffer.concat([payload, signer.sign(payload, MAC_BYTES)]).toString("base64url");
}

/**
 * Reads a token: its layout, then its signature (compared in constant time, with the key its key
 * byte names), then what it is for, then its expiry, so that a forged token is never told apart by
 * its contents. Throws LinkError.
 */
export function verifyLink(token: string, purpose: LinkPurpose, now = new Date()): LinkClaims {
  if (typeof token !== "string" || token.length > 400 || !/^[A-Za-z0-9_-]+$/.test(token)) throw new LinkError("malformed");
  const raw = Buffer.from(token, "base64url");
  const layout = raw.length > 0 ? LAYOUTS[raw.readUInt8(0)] : undefined;
  if (!layout) throw new LinkError("malformed");
  const idBytes = raw.length - layout.header - MAC_BYTES;
  if (idBytes < 16 || idBytes % 16 !== 0 || idBytes / 16 > MAX_IDS) throw new LinkError("malformed");
  const payload = raw.subarray(0, raw.length - MAC_BYTES);
  const keyByte = layout.keyAt === null ? null : payload.readUInt8(layout.keyAt);
  if (!signatureValid("consentLinks", keyByte, payload, raw.subarray(raw.length - MAC_BYTES))) throw new LinkError("tampered");
  const at = layout.header - 16 - 4 - 1; // the purpose byte, then the expiry, then the tenant
  if (payload.readUInt8(at) !== PURPOSE_CODES[purpose]) throw new LinkError("wrong_purpose");
  const expiresAt = new Date(payload.readUInt32BE(at + 1) * 1000);
  if (expiresAt.getTime() <= now.getTime()) throw new LinkError("expired");
  const ids: string[] = [];
  for (let offset = layout.header; offset < payload.length; offset += 16) ids.push(uuidText(payload.subarray(offset, offset + 16)));
  return { purpose, tenantId: uuidText(payload.subarray(at + 5, at + 21)), ids, expiresAt };
}

/** The public address of a link's page. */
export function linkUrl(purpose: LinkPurpose, token: string): string {
  return new URL(`/consent/${purpose}/${token}`, env.APP_URL).toString();
}
