import { describe, expect, it } from "vitest";
import { LinkError, signLink, verifyLink } from "./links";

const tenantId = "0b6a8f5e-2c1d-4e7f-9a3b-5c6d7e8f9a0b";
const eventId = "11111111-2222-4333-8444-555555555555";
const now = new Date("2026-11-26T10:00:00Z");
const inAWeek = new Date("2026-12-03T10:00:00Z");

function failure(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof LinkError) return error.reason;
    throw error;
  }
  throw new Error("expected a LinkError");
}

describe("signed consent links", () => {
  it("round-trips purpose, tenant, ids and expiry in a token short enough for an SMS", () => {
    const token = signLink({ purpose: "confirm", tenantId, ids: [eventId], expiresAt: inAWeek });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token.length).toBeLessThanOrEqual(80);
    expect(verifyLink(token, "confirm", now)).toEqual({ purpose: "confirm", tenantId, ids: [eventId], expiresAt: inAWeek });
  });

  it("refuses a token changed anywhere (payload or signature) as tampered", () => {
    const token = signLink({ purpose: "confirm", tenantId, ids: [eventId], expiresAt: inAWeek });
    for (const position of [3, 10, 30, token.length - 3]) {
      const flipped = token.slice(0, position) + (token[position] === "A" ? "B" : "A") + token.slice(position + 1);
      expect(failure(() => verifyLink(flipped, "confirm", now))).toBe("tampered");
    }
    // Another event id signed by someone without the key: same shape, wrong signature.
    const forged = signLink({ purpose: "confirm", tenantId, ids: ["99999999-2222-4333-8444-555555555555"], expiresAt: inAWeek });
    expect(failure(() => verifyLink(forged.slice(0, 38) + token.slice(38), "confirm", now))).toBe("tampered");
  });

  it("refuses an expired token, a token for another page, and a damaged one, each with its own message", () => {
    const token = signLink({ purpose: "dispute", tenantId, ids: [eventId], expiresAt: inAWeek });
    expect(verifyLink(token, "dispute", new Date(inAWeek.getTime() - 1000)).ids).toEqual([eventId]);
    expect(failure(() => verifyLink(token, "dispute", inAWeek))).toBe("expired");
    expect(failure(() => verifyLink(token, "confirm", now))).toBe("wrong_purpose");
    expect(failure(() => verifyLink(token.slice(0, 20), "dispute", now))).toBe("malformed");
    expect(failure(() => verifyLink("not a token!", "dispute", now))).toBe("malformed");
    expect(failure(() => verifyLink("", "dispute", now))).toBe("malformed");
    const messages = new Set(["expired", "tampered", "malformed", "wrong_purpose"].map((r) => new LinkError(r as LinkError["reason"]).message));
    expect(messages.size).toBe(4);
  });
});
