import { randomInt } from "node:crypto";
import { keyedHash, keyedHashMatches } from "@/lib/keys/keyring";

/** A 6-digit one-time code from a cryptographic source (≈20 bits, RULES.md G2). */
export function newOneTimeCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, "0");
}

/** Keyed hash of a code, bound to its factor so a hash cannot be replayed for another one. */
export function hashOneTimeCode(factorId: string, code: string): string {
  return keyedHash("oneTimeCodes", `${factorId}:${code}`);
}

/** Whether the code said is the one hashed (with the key the hash names), in constant time. */
export function oneTimeCodeMatches(factorId: string, code: string, stored: string): boolean {
  return keyedHashMatches("oneTimeCodes", `${factorId}:${code}`, stored);
}

/** What the caller says, in the form it is compared in. */
export const normalise = {
  code: (s: string) => s.replace(/\D/g, ""),
  /** `12/03/1984`, `12-3-1984` (day first), `1984-03-12` → `1984-03-12`; null if not a date. */
  dateOfBirth(s: string): string | null {
    const t = s.trim();
    let y: number, m: number, d: number;
    const iso = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(t);
    const dayFirst = /^(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})$/.exec(t);
    if (iso) [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
    else if (dayFirst) [d, m, y] = [Number(dayFirst[1]), Number(dayFirst[2]), Number(dayFirst[3])];
    else return null;
    const date = new Date(Date.UTC(y, m - 1, d));
    if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
    return date.toISOString().slice(0, 10);
  },
  postcode: (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, ""),
  digits: (s: string) => s.replace(/\D/g, ""),
  /** Case, accents, punctuation and spacing do not matter: "St. Mary's" = "st marys". */
  securityAnswer: (s: string) =>
    s
      .normalize("NFKD")
      .replace(/\p{Diacritic}/gu, "")
      .toLowerCase()
      // An apostrophe belongs to its word ("Mary's" is "marys"); other punctuation separates words.
      .replace(/['’ʼ`]/gu, "")
      .replace(/[^\p{L}\p{N}]+/gu, " ")
      .trim(),
};
