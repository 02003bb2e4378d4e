import type { Db } from "@/db/client";
import type { Actor } from "@/lib/actor";
import { formatMoney, priceFor, priceWords, prorate, recurringPrice, type Cycle } from "./billing";
import { customerSubscription, planCatalogue, planQuotes } from "./subscriptions";
import { dayWords } from "./words";

/** The Subscription card's content, as plain strings the page can hand to a client component. */
export type SubscriptionPanelData = {
  subscription: {
    id: string;
    version: number;
    planKey: string;
    planName: string;
    cycle: "monthly" | "yearly";
    status: "active" | "paused" | "cancelled";
    statusReason: string | null;
    price: string;
    addOns: { key: string; name: string; price: string }[];
    periodEnd: string;
    pending: string | null;
    cancelsAt: string | null;
  } | null;
  /** Every plan the customer could choose, with what choosing it would do, to read out before confirming. */
  planChoices: { key: string; label: string; effect: string }[];
  addOnChoices: { key: string; label: string; effect: string }[];
  cycleSwitch: { to: "monthly" | "yearly"; effect: string; withdraws: boolean } | null;
};

const per = (cycle: "monthly" | "yearly") => (cycle === "monthly" ? "a month" : "a year");

export async function subscriptionPanel(db: Db, actor: Actor, customer: { tenantId: string; id: string }, now = new Date()): Promise<SubscriptionPanelData> {
  const view = await customerSubscription(db, actor, customer);
  if (!view) return { subscription: null, planChoices: [], addOnChoices: [], cycleSwitch: null };
  const catalogue = await planCatalogue(db, actor, customer.tenantId);
  const { subscription: sub, currency } = view;
  const money = (minor: number) => formatMoney(minor, currency);
  const periodEnd = dayWords(sub.currentPeriodEnd);
  const pendingParts = view.pending ? [view.pending.plan ? `to ${view.pending.plan.name}` : null, view.pending.cycle ? `to ${view.pending.cycle} billing` : null].filter(Boolean) : [];

  const quotes = planQuotes(view, catalogue, now);
  const planChoices = catalogue.plans
    .filter((p) => p.id !== sub.planId || view.pending?.plan)
    .map((p) => {
      const quote = quotes.find((q) => q.planKey === p.key);
      const label = `${p.name} (${money(priceFor(p, sub.cycle))} ${per(sub.cycle)})${p.id === sub.planId ? ": keep the current plan" : ""}`;
      if (!quote) return { key: p.key, label, effect: `Withdraws the planned change ${pendingParts.join(" and ")}; the customer stays on ${p.name}.` };
      return quote.direction === "upgrade"
        ? { key: p.key, label, effect: `Upgrade, with effect from now: ${priceWords(quote, currency, sub.cycle)}.` }
        : { key: p.key, label, effect: `Downgrade, with effect from ${periodEnd} (the end of the period): ${priceWords(quote, currency, sub.cycle)}.` };
    });

  const period = { start: sub.currentPeriodStart, end: sub.currentPeriodEnd };
  const addOnChoices = catalogue.addOns
    .filter((a) => !sub.addOnKeys.includes(a.key))
    .map((a) => ({
      key: a.key,
      label: `${a.name} (${money(priceFor(a, sub.cycle))} ${per(sub.cycle)})`,
      effect: `Added now: ${money(prorate(priceFor(a, sub.cycle), period, now))} to pay now for the rest of the period.`,
    }));

  const other: Cycle = sub.cycle === "monthly" ? "yearly" : "monthly";
  const cycleSwitch = sub.pendingCycle
    ? { to: sub.cycle, withdraws: true, effect: `Withdraws the planned switch to ${sub.pendingCycle} billing.` }
    : {
        to: other,
        withdraws: false,
        effect: `From ${periodEnd} (the end of the period): ${money(recurringPrice(view.plan, view.addOns, other))} ${per(other)} instead of ${money(view.recurring)} ${per(sub.cycle)}; nothing to pay now.`,
      };

  return {
    subscription: {
      id: sub.id,
      version: sub.version,
      planKey: view.plan.key,
      planName: view.plan.name,
      cycle: sub.cycle,
      status: sub.status,
      statusReason: sub.statusReason,
      price: `${money(view.recurring)} ${per(sub.cycle)}`,
      addOns: view.addOns.map((a) => ({ key: a.key, name: a.name, price: `${money(priceFor(a, sub.cycle))} ${per(sub.cycle)}` })),
      periodEnd,
      pending: view.pending ? `Changes ${pendingParts.join(" and ")} on ${dayWords(view.pending.effectiveAt)}` : null,
      cancelsAt: view.cancelsAt ? dayWords(view.cancelsAt) : null,
    },
    planChoices,
    addOnChoices,
    cycleSwitch,
  };
}
