/**
 * The arithmetic of a subscription: periods, proration and what each kind of change costs and when it
 * takes effect. Pure: no database, no clock (the caller passes `now`). Amounts are integers in minor
 * units (pence, cents); dates are instants, and calendar arithmetic is done in UTC.
 *
 * The rules, as agents explain them to customers:
 * - An **upgrade** (a plan of higher rank) takes effect now; the customer pays now the difference in
 *   price for the time left in the current period.
 * - A **downgrade** (a plan of the same or a lower rank) takes effect at the end of the current
 *   period, with nothing charged or credited now: the customer keeps what they paid for until then.
 * - **Adding an add-on** takes effect now, charged now for the time left in the period.
 * - **Removing an add-on** takes effect now and credits the unused part of the period (a negative
 *   amount due now). We chose removal now over removal at the period end because a subscription can
 *   hold only one pending plan and cycle, not pending add-ons; the customer loses nothing either way.
 * - **Switching monthly ↔ yearly** takes effect at the end of the current period: the new cycle's price
 *   is charged from then, and nothing is charged or credited now.
 */
import type { BillingCycle } from "@/db/schema";

export type Cycle = BillingCycle;

/** What a change costs and from when: the shape every rule below answers. */
export type PriceChange = {
  /** When the change takes effect: now, or the end of the current period. */
  effectiveAt: Date;
  /** Paid now (positive) or credited now (negative), in minor units. */
  amountDueNow: number;
  /** How the recurring price per cycle changes from `effectiveAt`, in minor units. */
  recurringDifference: number;
};

export type Period = { start: Date; end: Date };

/**
 * The same day `months` later at the same time of day, clamped to that month's last day: 31 January
 * → 28 (or 29) February; 29 February + 12 months → 28 February.
 */
export function addMonthsClamped(from: Date, months: number): Date {
  const year = from.getUTCFullYear();
  const month = from.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(year, month, Math.min(from.getUTCDate(), lastDay), from.getUTCHours(), from.getUTCMinutes(), from.getUTCSeconds(), from.getUTCMilliseconds()),
  );
}

/**
 * When a period that starts at `start` ends: a month later (same day, clamped), or a year later
 * (same date; 29 February → 28 February). Each period starts where the previous one ended, so a
 * subscription that began on 31 January renews on 28 February, then 28 March: it does not jump back.
 */
export function periodEnd(start: Date, cycle: Cycle): Date {
  return addMonthsClamped(start, cycle === "monthly" ? 1 : 12);
}

/**
 * `amount` (for a whole period) scaled by the exact time left in the period at `now`, in minor
 * units: rounded to the nearest unit, halves away from zero. Computed with big integers on
 * milliseconds, so no floating point error creeps in. Nothing is left before the start's full
 * amount, and nothing after the end.
 */
export function prorate(amount: number, period: Period, now: Date): number {
  if (!Number.isInteger(amount)) throw new RangeError("amount must be an integer number of minor units");
  const total = BigInt(period.end.getTime() - period.start.getTime());
  if (total <= 0n) throw new RangeError("the period must end after it starts");
  const left = BigInt(Math.min(Math.max(period.end.getTime() - now.getTime(), 0), period.end.getTime() - period.start.getTime()));
  const magnitude = (BigInt(Math.abs(amount)) * left * 2n + total) / (2n * total);
  return Math.sign(amount) * Number(magnitude);
}

export type Priced = { monthlyPrice: number; yearlyPrice: number };

export const priceFor = (item: Priced, cycle: Cycle) => (cycle === "monthly" ? item.monthlyPrice : item.yearlyPrice);

/** The recurring price of a plan with its add-ons, per cycle. */
export function recurringPrice(plan: Priced, addOns: readonly Priced[], cycle: Cycle): number {
  return priceFor(plan, cycle) + addOns.reduce((sum, a) => sum + priceFor(a, cycle), 0);
}

export type PlanChange = PriceChange & { direction: "upgrade" | "downgrade" };

/**
 * A change of plan. Higher rank: an upgrade, now, paying the prorated difference (a higher-ranked plan
 * that happens to cost less would credit it). Same or lower rank: a downgrade at the period end.
 */
export function planChange(input: { period: Period; now: Date; fromRank: number; toRank: number; fromRecurring: number; toRecurring: number }): PlanChange {
  const recurringDifference = input.toRecurring - input.fromRecurring;
  if (input.toRank > input.fromRank) {
    return { direction: "upgrade", effectiveAt: input.now, amountDueNow: prorate(recurringDifference, input.period, input.now), recurringDifference };
  }
  return { direction: "downgrade", effectiveAt: input.period.end, amountDueNow: 0, recurringDifference };
}

/** Adding an add-on: now, paying its price for the time left in the period. */
export function addOnAdded(input: { period: Period; now: Date; addOnPrice: number }): PriceChange {
  return { effectiveAt: input.now, amountDueNow: prorate(input.addOnPrice, input.period, input.now), recurringDifference: input.addOnPrice };
}

/** Removing an add-on: now, crediting its price for the time left in the period. */
export function addOnRemoved(input: { period: Period; now: Date; addOnPrice: number }): PriceChange {
  return { effectiveAt: input.now, amountDueNow: -prorate(input.addOnPrice, input.period, input.now), recurringDifference: -input.addOnPrice };
}

/**
 * Monthly ↔ yearly: from the end of the current period, nothing now. The difference is the new
 * cycle's price less the old one's (per their own cycles: a yearly price against a monthly one).
 */
export function cycleSwitch(input: { period: Period; fromRecurring: number; toRecurring: number }): PriceChange {
  return { effectiveAt: input.period.end, amountDueNow: 0, recurringDifference: input.toRecurring - input.fromRecurring };
}

/**
 * Stopping billing now (a pause, or a cancellation chosen to take effect now) credits the unused part
 * of the period; a cancellation at the period end credits nothing and stops the price from then.
 */
export function stopBilling(input: { period: Period; now: Date; recurring: number; atPeriodEnd: boolean }): PriceChange {
  if (input.atPeriodEnd) return { effectiveAt: input.period.end, amountDueNow: 0, recurringDifference: -input.recurring };
  return { effectiveAt: input.now, amountDueNow: -prorate(input.recurring, input.period, input.now), recurringDifference: -input.recurring };
}

/** Resuming starts a new full period now, paid now. */
export function resumeBilling(input: { now: Date; recurring: number; cycle: Cycle }): PriceChange & { period: Period } {
  return { effectiveAt: input.now, amountDueNow: input.recurring, recurringDifference: input.recurring, period: { start: input.now, end: periodEnd(input.now, input.cycle) } };
}

/** An amount as the customer reads it: "£4.17", "$12.00", "-£3.00". */
export function formatMoney(minor: number, currency: string): string {
  return new Intl.NumberFormat("en-GB", { style: "currency", currency, currencyDisplay: "narrowSymbol" }).format(minor / 100);
}

/** The price difference in words: what is paid or credited now, and how the recurring price changes. */
export function priceWords(change: Pick<PriceChange, "amountDueNow" | "recurringDifference">, currency: string, cycle: Cycle): string {
  const per = cycle === "monthly" ? "a month" : "a year";
  const now =
    change.amountDueNow > 0 ? `${formatMoney(change.amountDueNow, currency)} to pay now` : change.amountDueNow < 0 ? `${formatMoney(-change.amountDueNow, currency)} credited now` : "nothing to pay now";
  const recurring =
    change.recurringDifference === 0
      ? "your regular price is unchanged"
      : `your regular price ${change.recurringDifference > 0 ? "goes up" : "goes down"} by ${formatMoney(Math.abs(change.recurringDifference), currency)} ${per}`;
  return `${now}; ${recurring}`;
}
