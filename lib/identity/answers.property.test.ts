import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalise } from "./answers";

/** Properties of how a caller's answers are read, over generated input. */

const dates = fc.date({
  min: new Date("1900-01-01T00:00:00Z"),
  max: new Date("2100-12-31T00:00:00Z"),
  noInvalidDate: true,
});
const pad = (n: number) => String(n).padStart(2, "0");

describe("a date of birth as the caller says it", () => {
  it("never throws, and answers null or a date that reads back as itself", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (said) => {
        const date = normalise.dateOfBirth(said);
        if (date !== null) expect(normalise.dateOfBirth(date)).toBe(date);
      }),
    );
  });

  it("reads every real date the same, year first or day first, with any separator and with or without leading zeros", () => {
    fc.assert(
      fc.property(dates, fc.constantFrom("-", "/", "."), fc.boolean(), (date, separator, zeros) => {
        const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
        const part = (n: number) => (zeros ? pad(n) : String(n));
        const iso = `${y}-${pad(m)}-${pad(d)}`;
        expect(normalise.dateOfBirth(`${y}${separator}${part(m)}${separator}${part(d)}`)).toBe(iso);
        expect(normalise.dateOfBirth(` ${part(d)}${separator}${part(m)}${separator}${y} `)).toBe(iso);
      }),
    );
  });

  it("refuses a day that does not exist in its month", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1900, max: 2100 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 29, max: 99 }),
        (y, m, d) => {
          fc.pre(new Date(Date.UTC(y, m - 1, d)).getUTCDate() !== d);
          expect(normalise.dateOfBirth(`${d}/${m}/${y}`)).toBeNull();
          expect(normalise.dateOfBirth(`${y}-${pad(m)}-${pad(d)}`)).toBeNull();
        },
      ),
    );
  });
});

describe("a one-time code as the caller reads it out", () => {
  it("keeps its digits, in order, whatever else is said between them", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.string({ unit: fc.constantFrom(..." -.,abc") })), {
          maxLength: 8,
        }),
        (parts) => {
          expect(normalise.code(parts.map(([digit, noise]) => `${digit}${noise}`).join(""))).toBe(
            parts.map(([digit]) => digit).join(""),
          );
        },
      ),
    );
  });
});
