import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { authSecret } from "@/lib/env";

/**
 * lib/staff opens a session (password, then the second factor where there is one); Auth.js then only
 * writes the cookie that names it. What passes between the two, inside the server, is this grant: the
 * session id, a minute to live and a MAC under a key derived from AUTH_SECRET (the secret of sessions),
 * so the public credentials endpoint cannot be handed a session id it did not just open itself. The
 * one grant that leaves the server is the one after enrolment: the session cookie is written only once
 * the person has seen their recovery codes and presses Continue, and the grant is theirs meanwhile.
 */
const GRANT_MS = 60 * 1000;
/** After enrolment the browser holds the grant while the person saves their recovery codes. */
export const ENROLMENT_GRANT_MS = 15 * 60 * 1000;

let key: Buffer | undefined;
const mac = (data: string) => {
  key ??= Buffer.from(hkdfSync("sha256", authSecret(), "attest", "staff session grant", 32));
  return createHmac("sha256", key).update(data).digest();
};

export function sessionGrant(sessionId: string, now = new Date(), ttlMs = GRANT_MS): string {
  const data = `${sessionId}.${now.getTime() + ttlMs}`;
  return `${data}.${mac(data).toString("base64url")}`;
}

/** The session id of a genuine grant that has not run out; null for anything else. */
export function grantedSession(grant: unknown, now = new Date()): string | null {
  if (typeof grant !== "string" || grant.length > 200) return null;
  const [sessionId, expires, signature] = grant.split(".");
  if (!sessionId || !expires || !signature || !/^\d+$/.test(expires)) return null;
  const expected = mac(`${sessionId}.${expires}`);
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return Number(expires) >= now.getTime() ? sessionId : null;
}
