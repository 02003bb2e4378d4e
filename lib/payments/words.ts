import { BRAND_NAMES, type CardBrand } from "./cards";

/**
 * A payment-method change as the customer reads it in the end-of-call summary, told from its audit
 * event's `after` (kind, brand, last 4: never more). Keyed by audit action, as the wrap-up's words are.
 */
function methodWords(after: Record<string, unknown> | null): string {
  const m = (after?.default ?? after ?? {}) as { kind?: string; brand?: string; last4?: string };
  if (m.kind === "card") return `${BRAND_NAMES[m.brand as CardBrand] ?? "payment"} card ending ${m.last4 ?? "····"}`;
  return `${m.brand === "us_ach" ? "US bank account" : "bank account"} ending ${m.last4 ?? "····"}`;
}

export const PAYMENT_CHANGE_WORDS: Record<string, (after: Record<string, unknown> | null) => string> = {
  "payment_method.added": (after) => `Added your ${methodWords(after)}`,
  "payment_method.default_set": (after) => `Made your ${methodWords(after)} the default payment method`,
  "payment_method.removed": (after) => `Removed your ${methodWords(after)}`,
  "payment_method.billing_address_changed": (after) => `Changed the billing address of your ${methodWords(after)}`,
};
