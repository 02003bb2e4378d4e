import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/max";

/**
 * A phone number as typed (`07911 123456`, `+44 7911 123456`, `(415) 555-0100`) in E.164, read in
 * `defaultCountry` when it has no country code; null when it is not a valid number.
 */
export function toE164(input: string, defaultCountry: string): string | null {
  const parsed = parsePhoneNumberFromString(input.trim(), defaultCountry.toUpperCase() as CountryCode);
  return parsed?.isValid() ? parsed.number : null;
}

/** Loose test of whether a search term is meant as a phone number. */
export function looksLikePhone(input: string): boolean {
  const trimmed = input.trim();
  return /^[+(]?[\d\s().\-/]+$/.test(trimmed) && trimmed.replace(/\D/g, "").length >= 6;
}
