import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  IBAN_LENGTHS,
  checkIban,
  checkUsAccount,
  ibanChecksumValid,
  normaliseIban,
  routingNumberValid,
} from "./bank-accounts";
import { containsCardNumber } from "./card-numbers";
import { checkCard, checkCardNumber, checkExpiry, luhnValid } from "./cards";

/** Properties of the card and bank checks over generated input, beside the examples in cards.test.ts. */

const digits = (min: number, max: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((d) => d.join(""));

/** The digit that makes `body` Luhn-valid. */
function luhnCheckDigit(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(body + d)) return String(d);
  throw new Error("unreachable");
}

/** Card numbers of accepted brands, Luhn-valid, of an allowed length. */
const validCard = fc
  .constantFrom(["4", 16], ["4", 13], ["51", 16], ["2221", 16], ["34", 15], ["37", 15], ["6011", 16], ["3528", 16])
  .chain(([prefix, length]) =>
    digits(length - prefix.length - 1, length - prefix.length - 1).map((middle) => prefix + middle),
  )
  .map((body) => body + luhnCheckDigit(body));

/** An IBAN with correct check digits for a country we accept, and a BBAN of digits and capitals. */
const validIban = fc
  .constantFrom(...Object.keys(IBAN_LENGTHS))
  .chain((country) =>
    fc
      .array(fc.constantFrom(..."0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"), {
        minLength: IBAN_LENGTHS[country]! - 4,
        maxLength: IBAN_LENGTHS[country]! - 4,
      })
      .map((bban) => ({ country, bban: bban.join("") })),
  )
  .map(({ country, bban }) => {
    const numeric = [...`${bban}${country}00`].map((ch) => (ch >= "A" ? String(ch.charCodeAt(0) - 55) : ch)).join("");
    const remainder = [...numeric].reduce((r, d) => (r * 10 + Number(d)) % 97, 0);
    return `${country}${String(98 - remainder).padStart(2, "0")}${bban}`;
  });

const validRoutingNumber = digits(8, 8)
  .map((body) => {
    const weights = [3, 7, 1, 3, 7, 1, 3, 7];
    const sum = weights.reduce((s, w, i) => s + w * Number(body[i]), 0);
    return body + String((10 - (sum % 10)) % 10);
  })
  .filter((n) => n !== "000000000");

/** The same string with one digit at `index` replaced by another digit. */
const withOneDigitChanged = (value: string, index: number, by: number) => {
  const at = [...value].map((ch, i) => (/\d/.test(ch) ? i : -1)).filter((i) => i >= 0);
  const i = at[index % at.length]!;
  return value.slice(0, i) + String((Number(value[i]) + by) % 10) + value.slice(i + 1);
};

const groupedBy4 = (value: string, separator: string) => value.replace(/(.{4})(?=.)/g, `$1${separator}`);

describe("card numbers", () => {
  it("never throws, whatever is typed", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (typed) => {
        checkCardNumber(typed);
        checkExpiry(typed);
        checkCard({ cardNumber: typed, expiry: typed, securityCode: typed });
        containsCardNumber(typed);
      }),
    );
  });

  it("accepts every Luhn-valid number of an accepted brand and length, however it is grouped, and keeps its last 4", () => {
    fc.assert(
      fc.property(validCard, fc.constantFrom("", " ", "-", "  "), (number, separator) => {
        const checked = checkCardNumber(` ${groupedBy4(number, separator)} `);
        expect(checked).toMatchObject({ ok: true, digits: number, last4: number.slice(-4) });
      }),
    );
  });

  it("refuses a valid number with any one digit changed", () => {
    fc.assert(
      fc.property(validCard, fc.nat(), fc.integer({ min: 1, max: 9 }), (number, index, by) => {
        expect(checkCardNumber(withOneDigitChanged(number, index, by)).ok).toBe(false);
      }),
    );
  });

  it("refuses a valid number with two neighbouring digits swapped (other than 0 and 9)", () => {
    fc.assert(
      fc.property(validCard, fc.nat(), (number, at) => {
        const i = at % (number.length - 1);
        const [a, b] = [number[i]!, number[i + 1]!];
        fc.pre(a !== b && `${a}${b}` !== "09" && `${a}${b}` !== "90");
        expect(checkCardNumber(number.slice(0, i) + b + a + number.slice(i + 2)).ok).toBe(false);
      }),
    );
  });

  it("finds a valid number written anywhere in a note, grouped or not", () => {
    const words = fc.string({ unit: fc.constantFrom(..."abcdefghij ,.") });
    fc.assert(
      fc.property(words, validCard, fc.constantFrom("", " ", "-"), words, (before, number, separator, after) => {
        expect(containsCardNumber(`${before} ${groupedBy4(number, separator)} ${after}`)).toBe(true);
      }),
    );
  });
});

describe("IBAN and US routing numbers", () => {
  it("never throw, whatever is typed", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (a, b) => {
        checkIban(a);
        ibanChecksumValid(a);
        routingNumberValid(a);
        checkUsAccount(a, b);
      }),
    );
  });

  it("accept every IBAN with correct check digits, typed in lower case and groups of 4, as its normal form", () => {
    fc.assert(
      fc.property(validIban, fc.constantFrom(" ", "-", ""), (iban, separator) => {
        const typed = groupedBy4(iban.toLowerCase(), separator);
        expect(normaliseIban(typed)).toBe(iban);
        expect(checkIban(typed)).toEqual({ ok: true, iban, country: iban.slice(0, 2), last4: iban.slice(-4) });
      }),
    );
  });

  it("refuse an IBAN with any one digit changed", () => {
    fc.assert(
      fc.property(validIban, fc.nat(), fc.integer({ min: 1, max: 9 }), (iban, index, by) => {
        expect(checkIban(withOneDigitChanged(iban, index, by)).ok).toBe(false);
      }),
    );
  });

  it("accept every valid routing number and refuse it with any one digit changed", () => {
    fc.assert(
      fc.property(
        validRoutingNumber,
        fc.nat(),
        fc.integer({ min: 1, max: 9 }),
        digits(4, 17),
        (routing, index, by, account) => {
          expect(checkUsAccount(routing, account)).toEqual({
            ok: true,
            routingNumber: routing,
            accountNumber: account,
            last4: account.slice(-4),
          });
          expect(routingNumberValid(withOneDigitChanged(routing, index, by))).toBe(false);
        },
      ),
    );
  });
});
