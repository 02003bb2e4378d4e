import { describe, expect, it } from "vitest";
import { currentKeyId } from "@/lib/keys/keyring";
import { hashOneTimeCode, newOneTimeCode, normalise, oneTimeCodeMatches } from "./answers";

describe("normalise.dateOfBirth", () => {
  it.each([
    ["1984-03-12", "1984-03-12"],
    ["1984/3/12", "1984-03-12"],
    ["12/03/1984", "1984-03-12"],
    ["12-3-1984", "1984-03-12"],
    ["12.03.1984", "1984-03-12"],
    ["12 03 1984", "1984-03-12"],
    ["  1/1/2000 ", "2000-01-01"],
    ["29/02/2000", "2000-02-29"],
  ])("reads %j as %s (day first)", (typed, expected) => {
    expect(normalise.dateOfBirth(typed)).toBe(expected);
  });

  it.each(["31/02/1990", "29/02/1990", "1990-13-01", "00/01/1990", "32/01/1990", "1990-02-30", "12/03/84", "March 12 1984", "", "1984-03-12T00:00"])(
    "refuses %j (not a date)",
    (typed) => {
      expect(normalise.dateOfBirth(typed)).toBeNull();
    },
  );
});

describe("normalise.postcode", () => {
  it("ignores case, spaces and punctuation", () => {
    expect(normalise.postcode("ls1 4ab")).toBe("LS14AB");
    expect(normalise.postcode(" LS1-4AB. ")).toBe("LS14AB");
    expect(normalise.postcode("LS14AB")).toBe(normalise.postcode("ls1 4ab"));
    expect(normalise.postcode("LS1 4AC")).not.toBe(normalise.postcode("LS1 4AB"));
  });
});

describe("normalise.securityAnswer", () => {
  it("ignores case, accents, punctuation and spacing", () => {
    expect(normalise.securityAnswer("Hillside Primary")).toBe("hillside primary");
    expect(normalise.securityAnswer("  HILLSIDE   primary!! ")).toBe("hillside primary");
    expect(normalise.securityAnswer("St. Mary's")).toBe("st marys");
    expect(normalise.securityAnswer("st marys")).toBe(normalise.securityAnswer("St. Mary’s"));
    expect(normalise.securityAnswer("O'Brien")).toBe(normalise.securityAnswer("obrien"));
    expect(normalise.securityAnswer("Crème Brûlée")).toBe("creme brulee");
    expect(normalise.securityAnswer("Zoë-Brontë")).toBe("zoe bronte");
  });

  it("keeps letters and digits that make a different answer", () => {
    expect(normalise.securityAnswer("Hillside Primary 2")).not.toBe(normalise.securityAnswer("Hillside Primary"));
    expect(normalise.securityAnswer("Hillside")).not.toBe(normalise.securityAnswer("Hillside Primary"));
    expect(normalise.securityAnswer("Nokia")).toBe(normalise.securityAnswer("nokia."));
  });
});

describe("normalise.code and digits", () => {
  it("keeps only the digits", () => {
    expect(normalise.code("123 456")).toBe("123456");
    expect(normalise.code(" 12-34-56 ")).toBe("123456");
    expect(normalise.digits("ACME-0001")).toBe("0001");
  });
});

describe("one-time codes", () => {
  it("are 6 digits, and vary", () => {
    const codes = Array.from({ length: 200 }, () => newOneTimeCode());
    for (const code of codes) expect(code).toMatch(/^\d{6}$/);
    expect(new Set(codes).size).toBeGreaterThan(190);
  });

  it("are hashed with a key, bound to their factor, the key's id beside the hash", () => {
    const a = hashOneTimeCode("factor-a", "123456");
    expect(a).toMatch(new RegExp(`^${currentKeyId()}:[0-9a-f]{64}$`));
    expect(a).not.toContain("123456");
    expect(hashOneTimeCode("factor-a", "123456")).toBe(a);
    // The same code under another factor hashes differently, so a hash cannot be replayed elsewhere.
    expect(hashOneTimeCode("factor-b", "123456")).not.toBe(a);
    expect(hashOneTimeCode("factor-a", "123457")).not.toBe(a);
  });

  it("match only the code and factor hashed, and refuse a hash cut short", () => {
    const a = hashOneTimeCode("f", "000000");
    expect(oneTimeCodeMatches("f", "000000", a)).toBe(true);
    expect(oneTimeCodeMatches("f", "000001", a)).toBe(false);
    expect(oneTimeCodeMatches("g", "000000", a)).toBe(false);
    expect(oneTimeCodeMatches("f", "000000", a.slice(0, 32))).toBe(false);
    expect(oneTimeCodeMatches("f", "000000", "")).toBe(false);
  });
});
