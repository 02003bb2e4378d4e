import { describe, expect, it } from "vitest";
import type { VerificationFactorKind, VerificationLevel } from "@/db/schema";
import {
  CODE_MAX_TRIES,
  CODE_TTL_MS,
  CODE_WINDOW_MS,
  KNOWLEDGE_FACTORS,
  LOCK_WINDOW_MS,
  MAX_CODES_PER_CALL,
  MAX_CODES_PER_CUSTOMER,
  MAX_FAILED_FACTORS,
  REQUIRED_LEVEL,
  VERIFICATION_TTL_MS,
  higher,
  levelFrom,
  levelSince,
  meets,
} from "./policy";

describe("levelFrom", () => {
  const cases: [VerificationFactorKind[], boolean, VerificationLevel][] = [
    [[], false, "none"],
    [[], true, "none"],
    [["otp_sms"], false, "basic"],
    [["otp_email"], true, "basic"],
    [["date_of_birth"], false, "basic"],
    [["security_question"], true, "basic"],
    // A code to a contact point on file plus one knowledge check is strong.
    [["otp_sms", "date_of_birth"], false, "strong"],
    [["postcode", "otp_email"], false, "strong"],
    [["otp_sms", "security_question"], true, "strong"],
    // Two knowledge checks: basic, unless the tenant's policy allows them to reach strong.
    [["date_of_birth", "postcode"], false, "basic"],
    [["date_of_birth", "postcode"], true, "strong"],
    [["payment_last4", "security_question"], true, "strong"],
    [["otp_email", "payment_last4"], false, "strong"],
    // The retired account_last4 (the agent can read the reference) counts for nothing, even if matched before.
    [["account_last4"], false, "none"],
    [["account_last4", "security_question"], true, "basic"],
    [["otp_sms", "account_last4"], false, "basic"],
    // The same knowledge check twice is still one factor.
    [["date_of_birth", "date_of_birth"], true, "basic"],
    // Two codes are one kind of evidence (possession): never strong on their own.
    [["otp_sms", "otp_email"], false, "basic"],
    [["otp_sms", "otp_sms", "otp_email"], true, "basic"],
  ];

  it.each(cases)("%j (knowledgeOnlyStrong %s) → %s", (matched, knowledgeOnlyStrong, expected) => {
    expect(levelFrom(matched, knowledgeOnlyStrong)).toBe(expected);
  });
});

describe("meets and higher", () => {
  it("orders none < basic < strong", () => {
    expect(meets("none", "none")).toBe(true);
    expect(meets("none", "basic")).toBe(false);
    expect(meets("basic", "basic")).toBe(true);
    expect(meets("basic", "strong")).toBe(false);
    expect(meets("strong", "basic")).toBe(true);
    expect(meets("strong", "strong")).toBe(true);
    expect(higher("basic", "strong")).toBe("strong");
    expect(higher("strong", "none")).toBe("strong");
    expect(higher("none", "basic")).toBe("basic");
  });
});

describe("REQUIRED_LEVEL", () => {
  it("asks strong verification for anything that could hand over the account (RULES.md G3, G4)", () => {
    for (const action of ["change_email", "change_phone", "change_address", "change_security_settings", "change_payment_details", "privacy_request"] as const) {
      expect(REQUIRED_LEVEL[action], action).toBe("strong");
    }
  });

  it("asks basic verification to see unmasked data or change the name", () => {
    for (const action of ["reveal_personal_data", "view_marketing_preferences", "change_name", "change_date_of_birth", "change_language", "change_status"] as const) {
      expect(REQUIRED_LEVEL[action], action).toBe("basic");
    }
  });

  it("lets no action through without verification", () => {
    expect(Object.values(REQUIRED_LEVEL)).not.toContain("none");
  });
});

describe("limits (RULES.md G2)", () => {
  it("codes live at most 10 minutes and allow 3 tries; 3 failed factors lock; levels lapse after 30 minutes", () => {
    expect(CODE_TTL_MS).toBe(10 * 60 * 1000);
    expect(CODE_MAX_TRIES).toBe(3);
    expect(MAX_FAILED_FACTORS).toBe(3);
    expect(VERIFICATION_TTL_MS).toBe(30 * 60 * 1000);
  });

  it("lock a customer for 24 hours after 3 failures in 24 hours; at most 3 codes a call and 5 a customer an hour", () => {
    expect(LOCK_WINDOW_MS).toBe(24 * 60 * 60 * 1000);
    expect([MAX_CODES_PER_CALL, MAX_CODES_PER_CUSTOMER, CODE_WINDOW_MS]).toEqual([3, 5, 60 * 60 * 1000]);
  });

  it("never ask what the agent can read on the page before strong verification", () => {
    expect(KNOWLEDGE_FACTORS).toEqual(["date_of_birth", "postcode", "payment_last4", "security_question"]);
  });
});

describe("levelSince", () => {
  const at = (minute: number) => new Date(Date.UTC(2030, 0, 1, 9, minute));
  it("counts a strong level from the older of the freshest code and the freshest knowledge check", () => {
    const matched = [
      { kind: "date_of_birth" as const, at: at(0) },
      { kind: "otp_sms" as const, at: at(20) },
      { kind: "postcode" as const, at: at(25) },
    ];
    expect(levelSince(matched, "strong", false)).toEqual(at(20));
  });

  it("does not let an old code stretch a new check: code at 0, check at 29 gives strong from 0", () => {
    expect(levelSince([{ kind: "otp_email", at: at(0) }, { kind: "date_of_birth", at: at(29) }], "strong", false)).toEqual(at(0));
  });

  it("counts two knowledge checks from the second-freshest where the tenant allows them", () => {
    const matched = [
      { kind: "date_of_birth" as const, at: at(1) },
      { kind: "postcode" as const, at: at(5) },
      { kind: "security_question" as const, at: at(9) },
    ];
    expect(levelSince(matched, "strong", true)).toEqual(at(5));
  });

  it("counts basic from the freshest factor", () => {
    expect(levelSince([{ kind: "postcode", at: at(3) }, { kind: "date_of_birth", at: at(7) }], "basic", false)).toEqual(at(7));
  });
});
