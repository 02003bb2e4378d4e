import { describe, expect, it } from "vitest";
import { CARD_NUMBER_INVALID, checkCard, checkCardNumber, checkExpiry, checkSecurityCode, detectBrand, luhnValid, normaliseCardNumber } from "./cards";

const NOW = new Date("2026-11-26T12:00:00Z");

describe("card checks", () => {
  it("Luhn: the test numbers pass, one digit off fails (F7)", () => {
    expect(luhnValid("4111111111111111")).toBe(true);
    expect(luhnValid("4111111111111112")).toBe(false);
    expect(luhnValid("5555555555554444")).toBe(true);
    expect(luhnValid("378282246310005")).toBe(true);
    expect(luhnValid("")).toBe(false);
  });

  it("normalises spaces and dashes, and refuses anything else", () => {
    expect(normaliseCardNumber("4111 1111-1111 1111")).toBe("4111111111111111");
    expect(normaliseCardNumber("4111 1111 1111 111O")).toBeNull();
  });

  it.each([
    ["4242424242424242", "visa"],
    ["4222222222222", "visa"],
    ["5555555555554444", "mastercard"],
    ["2221000000000009", "mastercard"],
    ["2720990000000007", "mastercard"],
    ["378282246310005", "amex"],
    ["6011111111111117", "discover"],
    ["6445644564456445", "discover"],
    ["30569309025904", "diners"],
    ["3566002020360505", "jcb"],
    ["6200000000000005", "unionpay"],
    ["6759649826438453", "maestro"],
  ])("detects the brand of %s as %s", (number, brand) => {
    expect(detectBrand(number)).toBe(brand);
    expect(checkCardNumber(number)).toMatchObject({ ok: true, brand, last4: number.slice(-4) });
  });

  it("refuses a length the brand does not issue, a bad check digit and an unknown brand, never echoing the number", () => {
    const short = checkCardNumber("4111 1111 1111 11");
    expect(short).toEqual({ ok: false, message: "A Visa card number has 13 or 16 or 19 digits: check the digits" });
    expect(checkCardNumber("4111 1111 1111 1112")).toEqual({ ok: false, message: CARD_NUMBER_INVALID });
    expect(checkCardNumber("555555555555444")).toMatchObject({ ok: false });
    const unknown = checkCardNumber("9111111111111111");
    expect(unknown.ok).toBe(false);
    for (const r of [short, unknown, checkCardNumber("4111111111111112")]) {
      if (!r.ok) expect(r.message).not.toMatch(/\d{4}/);
    }
  });

  it("expiry: month 1–12, not in the past, at most 20 years ahead", () => {
    expect(checkExpiry("11/26", NOW)).toEqual({ ok: true, month: 11, year: 2026 });
    expect(checkExpiry("03/2030", NOW)).toEqual({ ok: true, month: 3, year: 2030 });
    expect(checkExpiry("0330", NOW)).toEqual({ ok: true, month: 3, year: 2030 });
    expect(checkExpiry("03/25", NOW)).toEqual({ ok: false, message: "This card expired in 03/2025" });
    expect(checkExpiry("10/2026", NOW)).toEqual({ ok: false, message: "This card expired in 10/2026" });
    expect(checkExpiry("13/27", NOW)).toEqual({ ok: false, message: "The expiry month must be 01 to 12" });
    expect(checkExpiry("00/27", NOW)).toMatchObject({ ok: false });
    expect(checkExpiry("11/2046", NOW)).toMatchObject({ ok: true });
    expect(checkExpiry("12/2046", NOW)).toMatchObject({ ok: false, message: expect.stringContaining("20 years") });
    expect(checkExpiry("soon", NOW)).toMatchObject({ ok: false });
  });

  it("security code: 3 digits, 4 on American Express", () => {
    expect(checkSecurityCode("737", "visa")).toEqual({ ok: true });
    expect(checkSecurityCode("7373", "visa")).toMatchObject({ ok: false });
    expect(checkSecurityCode("7373", "amex")).toEqual({ ok: true });
    expect(checkSecurityCode("737", "amex")).toMatchObject({ ok: false, message: expect.stringContaining("4 digits") });
  });

  it("checks every field at once, one message per field", () => {
    expect(checkCard({ cardNumber: "4111 1111 1111 1112", expiry: "03/25", securityCode: "7" }, NOW)).toEqual({
      ok: false,
      errors: [
        { path: "cardNumber", message: CARD_NUMBER_INVALID },
        { path: "expiry", message: "This card expired in 03/2025" },
        { path: "securityCode", message: "The security code is 3 digits (on the back of the card)" },
      ],
    });
    expect(checkCard({ cardNumber: "4242 4242 4242 4242", expiry: "12/30", securityCode: "123" }, NOW)).toEqual({
      ok: true,
      card: { digits: "4242424242424242", brand: "visa", last4: "4242", expMonth: 12, expYear: 2030 },
    });
  });
});
