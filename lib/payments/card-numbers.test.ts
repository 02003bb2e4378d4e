import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CARD_NUMBER_IN_TEXT, SECURITY_CODE_IN_TEXT, containsCardNumber, containsSecurityCode, refuseCardData } from "./card-numbers";

describe("card data in free text (F6)", () => {
  it.each([
    "card 4111111111111111 please",
    "4111 1111 1111 1111",
    "4111-1111-1111-1111",
    "number is 5555 5555 5555 4444 737",
    "amex 3782 822463 10005",
    "called back on 07911 123456 then read 4242 4242 4242 4242",
  ])("finds a card number in %j", (text) => {
    expect(containsCardNumber(text)).toBe(true);
  });

  it.each([
    "Customer called about the bill, reference ACME-0001",
    "4111 1111 1111 1112", // not Luhn-valid
    "phone +44 7911 123456",
    "order 123456789012", // 12 digits
    "hash 0123456789abcdef0123456789abcdef",
    "amount 1,250.00 on 2026-11-26",
  ])("lets %j through", (text) => {
    expect(containsCardNumber(text)).toBe(false);
  });

  it("finds a security code written next to its name (F2)", () => {
    expect(containsSecurityCode("CVV 737")).toBe(true);
    expect(containsSecurityCode("security code is 1234")).toBe(true);
    expect(containsSecurityCode("cvc2: 123")).toBe(true);
    expect(containsSecurityCode("I asked for the security code and they declined")).toBe(false);
    expect(containsSecurityCode("paid 737 pounds")).toBe(false);
  });

  it("the refinement refuses with a message that never repeats the number", () => {
    const note = z.string().trim().superRefine(refuseCardData);
    const refused = note.safeParse("card 4111 1111 1111 1111");
    expect(refused.success).toBe(false);
    expect(refused.error!.issues.map((i) => i.message)).toEqual([CARD_NUMBER_IN_TEXT]);
    expect(JSON.stringify(refused.error!.issues)).not.toContain("1111");
    expect(note.safeParse("CVV 737").error!.issues[0]!.message).toBe(SECURITY_CODE_IN_TEXT);
    expect(note.safeParse("All sorted.").success).toBe(true);
    expect(z.string().optional().superRefine(refuseCardData).safeParse(undefined).success).toBe(true);
  });
});
