import type { FieldError } from "@/lib/errors";

/** Bank account checks before anything is sent to the vault: IBAN (ISO 13616, mod 97) and US ABA routing. Pure. */

/** IBAN lengths of the countries our tenants' customers bank in (SWIFT IBAN registry). */
export const IBAN_LENGTHS: Record<string, number> = {
  AD: 24, AT: 20, BE: 16, BG: 22, CH: 21, CY: 28, CZ: 24, DE: 22, DK: 18, EE: 20, ES: 24, FI: 18, FR: 27,
  GB: 22, GI: 23, GR: 27, HR: 21, HU: 28, IE: 22, IS: 26, IT: 27, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27,
  MT: 31, NL: 18, NO: 15, PL: 28, PT: 25, RO: 24, SE: 24, SI: 19, SK: 24, SM: 27,
};

export function normaliseIban(raw: string): string {
  return raw.replace(/[\s-]/g, "").toUpperCase();
}

/** ISO 7064 mod 97-10: the country and check digits moved to the end, letters as 10–35, remainder 1. */
export function ibanChecksumValid(iban: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const value = ch >= "A" ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of value) remainder = (remainder * 10 + Number(d)) % 97;
  }
  return remainder === 1;
}

export type CheckedIban = { ok: true; iban: string; country: string; last4: string } | { ok: false; message: string };

export function checkIban(raw: string): CheckedIban {
  const iban = normaliseIban(raw);
  if (!iban) return { ok: false, message: "Type the IBAN" };
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban)) return { ok: false, message: "An IBAN starts with a two-letter country code and two check digits, then letters and digits" };
  const country = iban.slice(0, 2);
  const length = IBAN_LENGTHS[country];
  if (length === undefined) return { ok: false, message: `IBANs from ${country} are not accepted here` };
  if (iban.length !== length) return { ok: false, message: `An IBAN from ${country} has ${length} characters, this one has ${iban.length}` };
  if (!ibanChecksumValid(iban)) return { ok: false, message: "The IBAN is not valid: check the characters" };
  return { ok: true, iban, country, last4: iban.slice(-4) };
}

/** ABA routing number: 9 digits whose weighted sum (3, 7, 1 repeating) is a multiple of 10. */
export function routingNumberValid(digits: string): boolean {
  if (!/^\d{9}$/.test(digits)) return false;
  const weights = [3, 7, 1, 3, 7, 1, 3, 7, 1];
  const sum = weights.reduce((s, w, i) => s + w * Number(digits[i]), 0);
  return sum % 10 === 0 && digits !== "000000000";
}

export type CheckedUsAccount = { ok: true; routingNumber: string; accountNumber: string; last4: string } | { ok: false; errors: FieldError[] };

/** A US account: a valid routing number and an account number of 4 to 17 digits. */
export function checkUsAccount(routingRaw: string, accountRaw: string): CheckedUsAccount {
  const errors: FieldError[] = [];
  const routingNumber = routingRaw.replace(/[\s-]/g, "");
  const accountNumber = accountRaw.replace(/[\s-]/g, "");
  if (!routingNumber) errors.push({ path: "routingNumber", message: "Type the routing number" });
  else if (!/^\d{9}$/.test(routingNumber)) errors.push({ path: "routingNumber", message: "A routing number has 9 digits" });
  else if (!routingNumberValid(routingNumber)) errors.push({ path: "routingNumber", message: "The routing number is not valid: check the digits" });
  if (!accountNumber) errors.push({ path: "accountNumber", message: "Type the account number" });
  else if (!/^\d{4,17}$/.test(accountNumber)) errors.push({ path: "accountNumber", message: "An account number has 4 to 17 digits" });
  if (errors.length) return { ok: false, errors };
  return { ok: true, routingNumber, accountNumber, last4: accountNumber.slice(-4) };
}
