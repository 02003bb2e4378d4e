import { describe, expect, it } from "vitest";
import { PAYMENT_CHANGE_WORDS } from "./words";

describe("payment changes in the customer's words", () => {
  it("name the method by brand and last 4 only, from the audit event's masked after", () => {
    expect(PAYMENT_CHANGE_WORDS["payment_method.added"]!({ kind: "card", brand: "visa", last4: "4242", expiry: "12/2030" })).toBe("Added your Visa card ending 4242");
    expect(PAYMENT_CHANGE_WORDS["payment_method.default_set"]!({ default: { kind: "bank_account", brand: "iban", last4: "5432" } })).toBe("Made your bank account ending 5432 the default payment method");
    expect(PAYMENT_CHANGE_WORDS["payment_method.removed"]!({ kind: "bank_account", brand: "us_ach", last4: "6789", removed: true })).toBe("Removed your US bank account ending 6789");
    expect(PAYMENT_CHANGE_WORDS["payment_method.billing_address_changed"]!({ kind: "card", brand: "amex", last4: "0005" })).toBe("Changed the billing address of your American Express card ending 0005");
  });
});
