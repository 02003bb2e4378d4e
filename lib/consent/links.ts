import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { authSecret, env } from "@/lib/env";
import { DomainError } from "@/lib/errors";

/**
 * Signed links sent to customers: "confirm this consent" (double opt-in, RULES.md A8's second step)
 * and "this wasn't me" in a consent receipt. A link is its own proof: nothing about it is stored, so
 * the token carries what it is for, the tenant, the ids it acts on and when it lapses, and is signed
 * with a key derived from the app's secret. Compact by design (binary, base64url, ~72 characters for
 * one id) so that it fits an SMS.
 *
 * Layout: version (1 byte) · purpose (1) · expiry in Unix seconds (4) · tenant id (16) · ids (16 each)
 * · HMAC-SHA256 of all that, truncated to 16 bytes.
 */
export type LinkPurpose = "confirm" | "dispute";
export type LinkClaims = { purpose: LinkPurpose; tenantId: string; ids: string[]; expiresAt: Date };

export const CONFIRM_LINK_TTL_MS = 7 * 24 * 60 * 60 * 1000;
export const DISPUTE_LINK_TTL_MS = 30 * 24 * 60 * 60 * 1000;

const VERSION = 1;
const PURPOSE_CODES: Record<LinkPurpose, number> = { confirm: 1, dispute: 2 };
const HEADER_BYTES = 1 + 1 + 4 + 16;
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

let key: Buffer | undefined;
function signingKey(): Buffer {
  key ??= Buffer.from(hkdfSync("sha256", authSecret(), "attest", "consent links", 32));
  return key;
}

const mac = (data: Buffer) => createHmac("sha256", signingKey()).update(data).digest().subarray(0, MAC_BYTES);

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
  const header = Buffer.alloc(6);
  header.writeUInt8(VERSION, 0);
  header.writeUInt8(PURPOSE_CODES[claims.purpose], 1);
  header.writeUInt32BE(Math.floor(claims.expiresAt.getTime() / 1000), 2);
  const payload = Buffer.concat([header, uuidBytes(claims.tenantId), ...claims.ids.map(uuidBytes)]);
  return Buffer.concat([payload, mac(payload)]).toString("base64url");
}

/**
 * Reads a token: its signature first (compared in constant time), then what it is for, then its
 * expiry, so that a forged token is never told apart by its contents. Throws LinkError.
 */
export function verifyLink(token: string, purpose: LinkPurpose, now = new Date()): LinkClaims {
  if (typeof token !== "string" || token.length > 400 || !/^[A-Za-z0-9_-]+$/.test(token)) throw new LinkError("malformed");
  const raw = Buffer.from(token, "base64url");
  const idBytes = raw.length - HEADER_BYTES - MAC_BYTES;
  if (idBytes < 16 || idBytes % 16 !== 0 || idBytes / 16 > MAX_IDS) throw new LinkError("malformed");
  const payload = raw.subarray(0, raw.length - MAC_BYTES);
  if (!timingSafeEqual(mac(payload), raw.subarray(raw.length - MAC_BYTES))) throw new LinkError("tampered");
  if (payload.readUInt8(0) !== VERSION) throw new LinkError("malformed");
  const code = payload.readUInt8(1);
  if (code !== PURPOSE_CODES[purpose]) throw new LinkError("wrong_purpose");
  const expiresAt = new Date(payload.readUInt32BE(2) * 1000);
  if (expiresAt.getTime() <= now.getTime()) throw new LinkError("expired");
  const ids: string[] = [];
  for (let offset = HEADER_BYTES; offset < payload.length; offset += 16) ids.push(uuidText(payload.subarray(offset, offset + 16)));
  return { purpose, tenantId: uuidText(payload.subarray(6, 22)), ids, expiresAt };
}

/** The public address of a link's page. */
export function linkUrl(purpose: LinkPurpose, token: string): string {
  return new URL(`/consent/${purpose}/${token}`, env.APP_URL).toString();
}
