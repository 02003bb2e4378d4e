import { describe, expect, it } from "vitest";
import { addOnAdded, addOnRemoved, addMonthsClamped, cycleSwitch, formatMoney, periodEnd, planChange, priceWords, prorate, recurringPrice, resumeBilling, stopBilling } from "./billing";

const at = (iso: string) => new Date(iso);

describe("billing periods", () => {
  it.each([
    ["2026-01-15T09:30:00Z", "monthly", "2026-02-15T09:30:00.000Z"],
    ["2026-01-31T00:00:00Z", "monthly", "2026-02-28T00:00:00.000Z"],
    ["2028-01-31T00:00:00Z", "monthly", "2028-02-29T00:00:00.000Z"],
    ["2026-03-31T12:00:00Z", "monthly", "2026-04-30T12:00:00.000Z"],
    ["2026-12-31T23:59:59Z", "monthly", "2027-01-31T23:59:59.000Z"],
    ["2026-11-26T10:00:00Z", "yearly", "2027-11-26T10:00:00.000Z"],
    ["2028-02-29T08:00:00Z", "yearly", "2029-02-28T08:00:00.000Z"],
    ["2027-02-28T08:00:00Z", "yearly", "2028-02-28T08:00:00.000Z"],
  ] as const)("a period from %s (%s) ends %s", (start, cycle, end) => {
    expect(periodEnd(at(start), cycle).toISOString()).toBe(end);
  });

  it("chains from where the last period ended: 31 Jan → 28 Feb → 28 Mar", () => {
    const feb = periodEnd(at("2026-01-31T00:00:00Z"), "monthly");
    expect(periodEnd(feb, "monthly").toISOString()).toBe("2026-03-28T00:00:00.000Z");
  });

  it("adds any number of months, across years", () => {
    expect(addMonthsClamped(at("2026-10-31T00:00:00Z"), 4).toISOString()).toBe("2027-02-28T00:00:00.000Z");
    expect(addMonthsClamped(at("2026-05-31T00:00:00Z"), -3).toISOString()).toBe("2026-02-28T00:00:00.000Z");
  });
});

describe("proration by the exact time left", () => {
  // November 2026 has 30 days: each day is 1/30 of the period.
  const november = { start: at("2026-11-01T00:00:00Z"), end: at("2026-12-01T00:00:00Z") };

  it("scales by the time left, to the millisecond", () => {
    expect(prorate(3000, november, at("2026-11-01T00:00:00Z"))).toBe(3000);
    expect(prorate(3000, november, at("2026-11-16T00:00:00Z"))).toBe(1500);
    expect(prorate(3000, november, at("2026-11-30T00:00:00Z"))).toBe(100);
    expect(prorate(3000, november, at("2026-11-30T12:00:00Z"))).toBe(50);
    expect(prorate(3000, november, at("2026-12-01T00:00:00Z"))).toBe(0);
  });

  it("leaves nothing after the end and no more than the whole before the start", () => {
    expect(prorate(3000, november, at("2027-01-01T00:00:00Z"))).toBe(0);
    expect(prorate(3000, november, at("2026-10-01T00:00:00Z"))).toBe(3000);
  });

  it("rounds to the nearest minor unit, halves away from zero", () => {
    // 1/30 of 1005 is 33.5: rounds up to 34, and a credit of it to -34.
    expect(prorate(1005, november, at("2026-11-30T00:00:00Z"))).toBe(34);
    expect(prorate(-1005, november, at("2026-11-30T00:00:00Z"))).toBe(-34);
    // 1/30 of 1000 is 33.33…: rounds down.
    expect(prorate(1000, november, at("2026-11-30T00:00:00Z"))).toBe(33);
  });

  it("stays exact with large yearly amounts (no floating point)", () => {
    const year = { start: at("2026-01-01T00:00:00Z"), end: at("2027-01-01T00:00:00Z") };
    expect(prorate(99_999_999, year, at("2026-07-02T12:00:00Z"))).toBe(50_000_000);
    expect(Number.isInteger(prorate(123_457, year, at("2026-03-17T05:06:07.891Z")))).toBe(true);
  });

  it("refuses fractions of a minor unit and an empty period", () => {
    expect(() => prorate(1.5, november, november.start)).toThrow(RangeError);
    expect(() => prorate(100, { start: november.end, end: november.end }, november.start)).toThrow(RangeError);
  });
});

describe("what each change costs and from when", () => {
  const period = { start: at("2026-11-01T00:00:00Z"), end: at("2026-12-01T00:00:00Z") };
  const now = at("2026-11-16T00:00:00Z"); // half the period left

  it("an upgrade takes effect now, paying the prorated difference now", () => {
    expect(planChange({ period, now, fromRank: 1, toRank: 2, fromRecurring: 3000, toRecurring: 4000 })).toEqual({
      direction: "upgrade",
      effectiveAt: now,
      amountDueNow: 500,
      recurringDifference: 1000,
    });
  });

  it("a downgrade (lower or same rank) waits for the period end, with nothing charged now", () => {
    expect(planChange({ period, now, fromRank: 3, toRank: 1, fromRecurring: 4000, toRecurring: 2500 })).toEqual({
      direction: "downgrade",
      effectiveAt: period.end,
      amountDueNow: 0,
      recurringDifference: -1500,
    });
    expect(planChange({ period, now, fromRank: 2, toRank: 2, fromRecurring: 3000, toRecurring: 3200 }).direction).toBe("downgrade");
  });

  it("adding an add-on charges now for the time left; removing one credits it now", () => {
    expect(addOnAdded({ period, now, addOnPrice: 800 })).toEqual({ effectiveAt: now, amountDueNow: 400, recurringDifference: 800 });
    expect(addOnRemoved({ period, now, addOnPrice: 800 })).toEqual({ effectiveAt: now, amountDueNow: -400, recurringDifference: -800 });
  });

  it("a switch of cycle takes effect at the end of the period, nothing now", () => {
    expect(cycleSwitch({ period, fromRecurring: 3000, toRecurring: 30000 })).toEqual({ effectiveAt: period.end, amountDueNow: 0, recurringDifference: 27000 });
  });

  it("a pause or cancellation now credits the unused part; a cancellation at the period end credits nothing", () => {
    expect(stopBilling({ period, now, recurring: 3000, atPeriodEnd: false })).toEqual({ effectiveAt: now, amountDueNow: -1500, recurringDifference: -3000 });
    expect(stopBilling({ period, now, recurring: 3000, atPeriodEnd: true })).toEqual({ effectiveAt: period.end, amountDueNow: 0, recurringDifference: -3000 });
  });

  it("resuming starts a new full period, paid now", () => {
    expect(resumeBilling({ now, recurring: 3000, cycle: "monthly" })).toEqual({
      effectiveAt: now,
      amountDueNow: 3000,
      recurringDifference: 3000,
      period: { start: now, end: at("2026-12-16T00:00:00Z") },
    });
  });

  it("prices a plan with its add-ons per cycle", () => {
    const plan = { monthlyPrice: 3000, yearlyPrice: 30000 };
    const addOns = [
      { monthlyPrice: 800, yearlyPrice: 8000 },
      { monthlyPrice: 200, yearlyPrice: 2000 },
    ];
    expect(recurringPrice(plan, addOns, "monthly")).toBe(4000);
    expect(recurringPrice(plan, addOns, "yearly")).toBe(40000);
  });
});

describe("amounts in words", () => {
  it("formats minor units in the currency", () => {
    expect(formatMoney(417, "GBP")).toBe("£4.17");
    expect(formatMoney(1200, "USD")).toBe("$12.00");
  });

  it("says what is paid or credited now and how the price changes", () => {
    expect(priceWords({ amountDueNow: 500, recurringDifference: 1000 }, "GBP", "monthly")).toBe("£5.00 to pay now; your regular price goes up by £10.00 a month");
    expect(priceWords({ amountDueNow: -400, recurringDifference: -800 }, "USD", "yearly")).toBe("$4.00 credited now; your regular price goes down by $8.00 a year");
    expect(priceWords({ amountDueNow: 0, recurringDifference: 0 }, "GBP", "monthly")).toBe("nothing to pay now; your regular price is unchanged");
  });
});
