import type { FieldError } from "@/lib/errors";

/**
 * Card checks done before anything is sent to the vault (RULES.md F7): Luhn, brand and length,
 * expiry, security-code format. Pure. No message ever repeats the number or the code.
 */

export const CARD_BRANDS = ["visa", "mastercard", "amex", "discover", "diners", "jcb", "unionpay", "maestro"] as const;
export type CardBrand = (typeof CARD_BRANDS)[number];

export const BRAND_NAMES: Record<CardBrand, string> = {
  visa: "Visa",
  mastercard: "Mastercard",
  amex: "American Express",
  discover: "Discover",
  diners: "Diners Club",
  jcb: "JCB",
  unionpay: "UnionPay",
  maestro: "Maestro",
};

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Issuer prefixes (IIN ranges) and allowed lengths, most specific first: the first match wins. */
const BRAND_RULES: { brand: CardBrand; prefixes: readonly (number | [number, number])[]; lengths: readonly number[] }[] = [
  { brand: "amex", prefixes: [34, 37], lengths: [15] },
  { brand: "diners", prefixes: [[300, 305], 3095, 36, 38, 39], lengths: [14, 16, 17, 18, 19] },
  { brand: "jcb", prefixes: [[3528, 3589]], lengths: [16, 17, 18, 19] },
  { brand: "discover", prefixes: [6011, [622126, 622925], [644, 649], 65], lengths: [16, 17, 18, 19] },
  { brand: "unionpay", prefixes: [62, 81], lengths: [16, 17, 18, 19] },
  { brand: "mastercard", prefixes: [[51, 55], [2221, 2720]], lengths: [16] },
  { brand: "maestro", prefixes: [5018, 5020, 5038, 5893, 6304, 6759, [6761, 6763]], lengths: range(12, 19) },
  { brand: "visa", prefixes: [4], lengths: [13, 16, 19] },
];

/** The digits of a card number typed with spaces or dashes; null when anything else is in it. */
export function normaliseCardNumber(raw: string): string | null {
  const digits = raw.replace(/[\s-]/g, "");
  return /^\d+$/.test(digits) ? digits : null;
}

/** ISO/IEC 7812-1 check digit (mod 10): catches typing errors, proves nothing about the card. */
export function luhnValid(digits: string): boolean {
  if (!/^\d{2,}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function matchesPrefix(digits: string, prefix: number | [number, number]): boolean {
  const [low, high] = typeof prefix === "number" ? [prefix, prefix] : prefix;
  const size = String(low).length;
  const head = Number(digits.slice(0, size));
  return digits.length >= size && head >= low && head <= high;
}

/** The brand its prefix says, whatever the length; null when no brand we accept starts so. */
export function detectBrand(digits: string): CardBrand | null {
  return BRAND_RULES.find((rule) => rule.prefixes.some((p) => matchesPrefix(digits, p)))?.brand ?? null;
}

export function allowedLengths(brand: CardBrand): readonly number[] {
  return BRAND_RULES.find((r) => r.brand === brand)!.lengths;
}

export const CARD_NUMBER_INVALID = "The card number is not valid: check the digits";

export type CheckedCardNumber = { ok: true; digits: string; brand: CardBrand; last4: string } | { ok: false; message: string };

export function checkCardNumber(raw: string): CheckedCardNumber {
  const digits = normaliseCardNumber(raw.trim());
  if (!raw.trim()) return { ok: false, message: "Type the card number" };
  if (!digits) return { ok: false, message: "The card number may contain only digits, spaces and dashes" };
  const brand = detectBrand(digits);
  if (!brand) return { ok: false, message: "This card type is not accepted: we take Visa, Mastercard, American Express, Discover, Diners Club, JCB, UnionPay and Maestro" };
  const lengths = allowedLengths(brand);
  if (!lengths.includes(digits.length)) {
    const words = lengths.length > 3 ? `${lengths[0]} to ${lengths[lengths.length - 1]}` : lengths.join(" or ");
    return { ok: false, message: `A ${BRAND_NAMES[brand]} card number has ${words} digits: check the digits` };
  }
  if (!luhnValid(digits)) return { ok: false, message: CARD_NUMBER_INVALID };
  return { ok: true, digits, brand, last4: digits.slice(-4) };
}

/** The longest a card may be valid for from today: anything further is a typing error. */
export const MAX_YEARS_AHEAD = 20;

const pad = (m: number) => String(m).padStart(2, "0");

/**
 * An expiry as printed on the card ("03/27", "03/2027", "0327"): valid to the end of that month.
 * Two-digit years are in this century.
 */
export function checkExpiry(raw: string, now = new Date()): { ok: true; month: number; year: number } | { ok: false; message: string } {
  const m = /^\s*(\d{1,2})\s*[/\-. ]?\s*(\d{2}|\d{4})\s*$/.exec(raw);
  if (!raw.trim()) return { ok: false, message: "Type the expiry date (MM/YY)" };
  if (!m) return { ok: false, message: "Type the expiry date as on the card: MM/YY" };
  const month = Number(m[1]);
  const year = m[2]!.length === 2 ? 2000 + Number(m[2]) : Number(m[2]);
  if (month < 1 || month > 12) return { ok: false, message: "The expiry month must be 01 to 12" };
  const thisYear = now.getUTCFullYear();
  const thisMonth = now.getUTCMonth() + 1;
  if (year < thisYear || (year === thisYear && month < thisMonth)) return { ok: false, message: `This card expired in ${pad(month)}/${year}` };
  if (year > thisYear + MAX_YEARS_AHEAD || (year === thisYear + MAX_YEARS_AHEAD && month > thisMonth)) {
    return { ok: false, message: `The expiry ${pad(month)}/${year} is more than ${MAX_YEARS_AHEAD} years ahead: check the date` };
  }
  return { ok: true, month, year };
}

/** 3 digits, or 4 on American Express. Checked, then handed to the vault only, never kept. */
export function checkSecurityCode(raw: string, brand: CardBrand | null): { ok: true } | { ok: false; message: string } {
  const code = raw.trim();
  const length = brand === "amex" ? 4 : 3;
  if (!code) return { ok: false, message: "Type the security code" };
  if (!new RegExp(`^\\d{${length}}$`).test(code)) {
    return { ok: false, message: `The security code is ${length} digits${brand === "amex" ? " (on the front of an American Express card)" : " (on the back of the card)"}` };
  }
  return { ok: true };
}

export type CardDetails = { cardNumber: string; expiry: string; securityCode: string };
export type CheckedCard = { digits: string; brand: CardBrand; last4: string; expMonth: number; expYear: number };

/** Every card field checked at once, one message per field: the form shows them all together. */
export function checkCard(input: CardDetails, now = new Date()): { ok: true; card: CheckedCard } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const number = checkCardNumber(input.cardNumber);
  if (!number.ok) errors.push({ path: "cardNumber", message: number.message });
  const expiry = checkExpiry(input.expiry, now);
  if (!expiry.ok) errors.push({ path: "expiry", message: expiry.message });
  const code = checkSecurityCode(input.securityCode, number.ok ? number.brand : detectBrand(normaliseCardNumber(input.cardNumber) ?? ""));
  if (!code.ok) errors.push({ path: "securityCode", message: code.message });
  if (!number.ok || !expiry.ok || errors.length) return { ok: false, errors };
  return { ok: true, card: { digits: number.digits, brand: number.brand, last4: number.last4, expMonth: expiry.month, expYear: expiry.year } };
}
