import { describe, expect, it } from "vitest";
import { grantedSession, sessionGrant } from "./session-grant";

const sessionId = "6b7c2f1e-1d2a-4c3b-9e8f-0a1b2c3d4e5f";

describe("session grants", () => {
  const t0 = new Date("2030-01-01T09:00:00Z");

  it("name the session they were made for, for a minute", () => {
    const grant = sessionGrant(sessionId, t0);
    expect(grantedSession(grant, t0)).toBe(sessionId);
    expect(grantedSession(grant, new Date(t0.getTime() + 60_000))).toBe(sessionId);
    expect(grantedSession(grant, new Date(t0.getTime() + 60_001))).toBeNull();
  });

  it("refuse a grant for another session, a later expiry, a bare session id or junk", () => {
    const [, expires, signature] = sessionGrant(sessionId, t0).split(".");
    const other = "00000000-0000-4000-8000-000000000000";
    expect(grantedSession(`${other}.${expires}.${signature}`, t0)).toBeNull();
    expect(grantedSession(`${sessionId}.${Number(expires) + 3_600_000}.${signature}`, t0)).toBeNull();
    for (const junk of [sessionId, `${sessionId}..`, "", null, 42, { sessionId }, "a.b.c", "x".repeat(500)]) {
      expect(grantedSession(junk, t0)).toBeNull();
    }
  });
});
