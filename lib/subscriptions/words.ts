/**
 * A subscription change as the customer reads it, told from its audit event's `after` (plan, cycle and
 * add-on names and keys, amounts: never personal data). Used for the confirmation sent at once and for
 * the end-of-call summary, so both say the same thing.
 */
import { priceWords, type Cycle } from "./billing";

export const SUBSCRIPTION_CHANGE_KINDS = [
  "created",
  "plan_upgraded",
  "plan_downgrade_scheduled",
  "pending_plan_change_withdrawn",
  "cycle_switch_scheduled",
  "pending_cycle_switch_withdrawn",
  "add_on_added",
  "add_on_removed",
  "paused",
  "resumed",
  "cancellation_scheduled",
  "cancellation_withdrawn",
  "cancelled",
  "pending_change_applied",
  "renewed",
] as const;

export type SubscriptionChangeKind = (typeof SUBSCRIPTION_CHANGE_KINDS)[number];

/** What the audit event of a subscription change holds in `after`. */
export type SubscriptionChangeRecord = {
  kind: SubscriptionChangeKind;
  plan: string;
  planName: string;
  cycle: Cycle;
  addOns: string[];
  status: string;
  pendingPlan: string | null;
  pendingPlanName: string | null;
  pendingCycle: Cycle | null;
  cancelsAt: string | null;
  addOn?: string;
  addOnName?: string;
  currency: string;
  effectiveAt: string;
  amountDueNow: number;
  recurringDifference: number;
  /** The cycle the recurring difference is counted in. */
  priceCycle: Cycle;
};

/** "1 December 2026": the day a change takes effect, in UTC like the billing periods. */
export const dayWords = (at: Date | string) => new Date(at).toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });

function whatChanged(r: SubscriptionChangeRecord): string {
  const on = dayWords(r.effectiveAt);
  switch (r.kind) {
    case "created":
      return `Started your ${r.planName} subscription, billed ${r.cycle}`;
    case "plan_upgraded":
      return `Changed your plan to ${r.planName}`;
    case "plan_downgrade_scheduled":
      return `Your plan changes to ${r.pendingPlanName} on ${on}`;
    case "pending_plan_change_withdrawn":
      return `You stay on ${r.planName}: the plan change we had planned is withdrawn`;
    case "cycle_switch_scheduled":
      return `You will be billed ${r.pendingCycle} from ${on}`;
    case "pending_cycle_switch_withdrawn":
      return `You stay on ${r.cycle} billing: the switch we had planned is withdrawn`;
    case "add_on_added":
      return `Added ${r.addOnName} to your subscription`;
    case "add_on_removed":
      return `Removed ${r.addOnName} from your subscription`;
    case "paused":
      return "Paused your subscription";
    case "resumed":
      return "Resumed your subscription";
    case "cancellation_scheduled":
      return `Your subscription ends on ${on}`;
    case "cancellation_withdrawn":
      return "Your subscription continues: the cancellation is withdrawn";
    case "cancelled":
      return "Cancelled your subscription";
    case "pending_change_applied":
      return `Your subscription is now ${r.planName}, billed ${r.cycle}`;
    case "renewed":
      return `Renewed your ${r.planName} subscription`;
  }
}

/** What changed, from when, and the price difference, each as words. */
export function subscriptionChangeParts(r: SubscriptionChangeRecord, at: Date): { what: string; from: string; price: string } {
  const effective = new Date(r.effectiveAt);
  return {
    what: whatChanged(r),
    from: effective.getTime() <= at.getTime() ? "with effect from now" : `with effect from ${dayWords(effective)}`,
    price: priceWords(r, r.currency, r.priceCycle),
  };
}

/** One line of the end-of-call summary. */
export function subscriptionChangeLine(after: Record<string, unknown> | null): string {
  const r = after as SubscriptionChangeRecord | null;
  if (!r?.kind) return "Changed your subscription";
  const { what, price } = subscriptionChangeParts(r, new Date(r.effectiveAt));
  return `${what} (${price})`;
}

/** The wrap-up's words for every subscription audit action made during a call. */
export const SUBSCRIPTION_CHANGE_WORDS: Record<string, (after: Record<string, unknown> | null) => string> = Object.fromEntries(
  SUBSCRIPTION_CHANGE_KINDS.filter((k) => k !== "created" && k !== "renewed" && k !== "pending_change_applied").map((k) => [`subscription.${k}`, subscriptionChangeLine]),
);
