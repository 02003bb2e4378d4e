import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatMoney, periodEnd, prorate } from "./billing";

/** Properties of amounts (integers in minor units) as proration computes and the customer reads them. */

const amounts = fc.integer({ min: -10_000_000, max: 10_000_000 });
const starts = fc.date({
  min: new Date("2000-01-01T00:00:00Z"),
  max: new Date("2099-01-01T00:00:00Z"),
  noInvalidDate: true,
});
const periods = fc
  .tuple(starts, fc.constantFrom("monthly" as const, "yearly" as const))
  .map(([start, cycle]) => ({ start, end: periodEnd(start, cycle) }));
const within = (period: { start: Date; end: Date }) =>
  fc
    .integer({ min: period.start.getTime() - 86_400_000, max: period.end.getTime() + 86_400_000 })
    .map((t) => new Date(t));

describe("proration of an amount", () => {
  it("is a whole amount of the same sign and never more than the whole period's", () => {
    fc.assert(
      fc.property(
        amounts,
        periods.chain((p) => fc.tuple(fc.constant(p), within(p))),
        (amount, [period, now]) => {
          const part = prorate(amount, period, now);
          expect(Number.isInteger(part)).toBe(true);
          expect(Math.abs(part)).toBeLessThanOrEqual(Math.abs(amount));
          expect(part === 0 || Math.sign(part) === Math.sign(amount)).toBe(true);
        },
      ),
    );
  });

  it("is the whole amount at the start, nothing at the end, and never grows as time passes", () => {
    fc.assert(
      fc.property(
        fc.nat(10_000_000),
        periods.chain((p) => fc.tuple(fc.constant(p), within(p), within(p))),
        (amount, [period, a, b]) => {
          expect(prorate(amount, period, period.start)).toBe(amount);
          expect(prorate(amount, period, period.end)).toBe(0);
          const [earlier, later] = a <= b ? [a, b] : [b, a];
          expect(prorate(amount, period, later)).toBeLessThanOrEqual(prorate(amount, period, earlier));
        },
      ),
    );
  });

  it("credits exactly what it would charge: the negative amount prorates to the negative part", () => {
    fc.assert(
      fc.property(
        amounts,
        periods.chain((p) => fc.tuple(fc.constant(p), within(p))),
        (amount, [period, now]) => {
          // (+ 0 reads -0 as 0: a zero credit is no credit)
          expect(prorate(-amount, period, now) + 0).toBe(-prorate(amount, period, now) + 0);
        },
      ),
    );
  });
});

describe("an amount as the customer reads it", () => {
  it("shows the minor units exactly, with two decimals, for any whole amount", () => {
    fc.assert(
      fc.property(amounts, fc.constantFrom("GBP", "USD", "EUR"), (minor, currency) => {
        const words = formatMoney(minor, currency);
        const shown = Number(words.replace(/[^\d.-]/g, ""));
        expect(Math.round(shown * 100)).toBe(minor);
        expect(words).toMatch(/\.\d{2}$/);
      }),
    );
  });
});
