import { describe, expect, it } from "vitest";
import { checkIban, checkUsAccount, ibanChecksumValid, routingNumberValid } from "./bank-accounts";

describe("bank account checks", () => {
  it("IBAN: mod 97 and the country's length, in any spacing", () => {
    expect(checkIban("GB82 WEST 1234 5698 7654 32")).toEqual({ ok: true, iban: "GB82WEST12345698765432", country: "GB", last4: "5432" });
    expect(checkIban("de89 3704 0044 0532 0130 00")).toMatchObject({ ok: true, country: "DE", last4: "3000" });
    expect(checkIban("FR14 2004 1010 0505 0001 3M02 606")).toMatchObject({ ok: true, country: "FR" });
    expect(ibanChecksumValid("GB82WEST12345698765433")).toBe(false);
    expect(checkIban("GB82 WEST 1234 5698 7654 33")).toEqual({ ok: false, message: "The IBAN is not valid: check the characters" });
    expect(checkIban("GB82 WEST 1234 5698 7654 3")).toEqual({ ok: false, message: "An IBAN from GB has 22 characters, this one has 21" });
    expect(checkIban("ZZ82 1234")).toMatchObject({ ok: false, message: "IBANs from ZZ are not accepted here" });
    expect(checkIban("12345")).toMatchObject({ ok: false });
    expect(checkIban(" ")).toEqual({ ok: false, message: "Type the IBAN" });
  });

  it("US routing number: the 3-7-1 checksum", () => {
    expect(routingNumberValid("021000021")).toBe(true);
    expect(routingNumberValid("011000015")).toBe(true);
    expect(routingNumberValid("021000022")).toBe(false);
    expect(routingNumberValid("000000000")).toBe(false);
    expect(routingNumberValid("02100002")).toBe(false);
  });

  it("US account: routing and account number each with its own message", () => {
    expect(checkUsAccount("021000021", "000123456789")).toEqual({ ok: true, routingNumber: "021000021", accountNumber: "000123456789", last4: "6789" });
    expect(checkUsAccount("021000022", "12")).toEqual({
      ok: false,
      errors: [
        { path: "routingNumber", message: "The routing number is not valid: check the digits" },
        { path: "accountNumber", message: "An account number has 4 to 17 digits" },
      ],
    });
    expect(checkUsAccount("", "")).toMatchObject({ ok: false, errors: [{ path: "routingNumber" }, { path: "accountNumber" }] });
  });
});
