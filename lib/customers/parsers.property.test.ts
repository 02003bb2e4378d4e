import fc from "fast-check";
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { describe, expect, it } from "vitest";
import { toE164 } from "./phone";
import { customerInputSchema, isoDate } from "./schema";

/** Properties of the phone and date parsers over generated input. */

const E164 = /^\+[1-9]\d{6,14}$/;
const countries = fc.constantFrom("GB", "US", "DE", "FR", "IE", "gb", "us", "", "XX", "ZZZ");

/** A UK mobile number the numbering plan knows, as an agent might type it: national or international, spaced anyhow. */
const ukMobile = fc
  .tuple(
    fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 9, maxLength: 9 }),
    fc.boolean(),
    fc.constantFrom(" ", "", "-", "  "),
  )
  .filter(([rest]) => parsePhoneNumberFromString(`+447${rest.join("")}`)?.isValid() === true)
  .map(([rest, international, gap]) => ({
    e164: `+447${rest.join("")}`,
    typed: `${international ? "+44 7" : "07"}${rest.slice(0, 3).join("")}${gap}${rest.slice(3, 6).join("")}${gap}${rest.slice(6).join("")}`,
  }));

const dates = fc
  .date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date(), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

describe("phone numbers", () => {
  it("never throw, whatever is typed and whatever the country, and answer E.164 or null", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), countries, (typed, country) => {
        const e164 = toE164(typed, country);
        expect(e164 === null || E164.test(e164)).toBe(true);
      }),
    );
  });

  it("read a number typed nationally or internationally, spaced anyhow, as the same E.164", () => {
    fc.assert(
      fc.property(ukMobile, ({ e164, typed }) => {
        expect(toE164(typed, "GB")).toBe(e164);
      }),
    );
  });

  it("are stable: E.164 read again, in any country, is itself; so is its national form read in its own country", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."0123456789 +()-") }), countries, (typed, country) => {
        const e164 = toE164(typed, country);
        fc.pre(e164 !== null);
        expect(toE164(e164!, "US")).toBe(e164);
        const parsed = parsePhoneNumberFromString(e164!)!;
        fc.pre(parsed.country !== undefined);
        expect(toE164(parsed.formatNational(), parsed.country!)).toBe(e164);
      }),
    );
  });
});

describe("dates (YYYY-MM-DD in the API and forms)", () => {
  it("never throw on any input, of any type", () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        isoDate.safeParse(input);
        customerInputSchema.safeParse({ name: "Ann", dateOfBirth: input });
      }),
    );
  });

  it("accept every real date from 1900 to today as itself", () => {
    fc.assert(
      fc.property(dates, (date) => {
        expect(isoDate.parse(` ${date} `)).toBe(date);
      }),
    );
  });

  it("refuse a date that does not exist, and one in the future", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1900, max: 2100 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        (y, m, d) => {
          const text = `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
          const real = new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d;
          const past = new Date(`${text}T00:00:00Z`) <= new Date();
          expect(isoDate.safeParse(text).success).toBe(real && past);
        },
      ),
    );
  });
});
