import { and, asc, desc, eq, inArray, lte, ne, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { billingCycle, customers, planAddOns, plans, subscriptionChanges, subscriptions, type Plan, type PlanAddOn, type Subscription, type SubscriptionChange } from "@/db/schema";
import { assertTenantAccess, systemActor, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { ConflictError, NotFoundError, ValidationError } from "@/lib/errors";
import { requireVerification } from "@/lib/identity/verification";
import { startPeriodicJob } from "@/lib/jobs/periodic";
import { subscriptionChangeConfirmation } from "@/lib/notifications/messages";
import { enqueueMessage } from "@/lib/notifications/outbox";
import { customerContact } from "@/lib/notifications/recipients";
import { addOnAdded, addOnRemoved, cycleSwitch, periodEnd, planChange, recurringPrice, resumeBilling, stopBilling, type Cycle, type Period, type PlanChange, type PriceChange } from "./billing";
import { dayWords, subscriptionChangeParts, type SubscriptionChangeKind, type SubscriptionChangeRecord } from "./words";

/*
 * Subscriptions: the tenant's plan catalogue, a customer's subscription, and the changes an agent makes
 * during a call. Every change needs strong verification of the caller (it alters what they pay), is
 * based on the version the agent saw, and writes in one transaction: the subscription, a
 * subscription_changes row with its effective date and price difference, an audit event, and the
 * confirmation to the customer. Marketing consent plays no part here (RULES.md A4): it is never read.
 */

// ---------------------------------------------------------------------------------------------------
// Input

const inCall = {
  interactionId: z.uuid("Unknown call"),
  customerId: z.uuid("Unknown customer"),
  subscriptionId: z.uuid("Unknown subscription"),
  version: z.coerce.number("Unknown version").int("Unknown version").min(1, "Unknown version"),
};
const reason = z.string("Give the customer's reason").trim().min(3, "Give the customer's reason").max(500, "The reason must be at most 500 characters");

export const changePlanSchema = z.object({ ...inCall, planKey: z.string("Choose a plan").trim().min(1, "Choose a plan") });
export const switchCycleSchema = z.object({ ...inCall, cycle: z.enum(billingCycle.enumValues, "Choose monthly or yearly") });
export const addOnSchema = z.object({ ...inCall, addOnKey: z.string("Choose an add-on").trim().min(1, "Choose an add-on") });
export const pauseSchema = z.object({ ...inCall, reason });
export const resumeSchema = z.object({ ...inCall });
/** A cancellation takes effect at the end of the period the customer has paid for, unless they ask for now. */
export const cancelSchema = z.object({ ...inCall, reason, when: z.enum(["period_end", "now"], "Choose when the cancellation takes effect") });

export type InCallChange = z.output<typeof resumeSchema>;

// ---------------------------------------------------------------------------------------------------
// Reading

export type PlanCatalogue = { plans: Plan[]; addOns: PlanAddOn[] };

async function catalogueOf(db: Db, tenantId: string): Promise<PlanCatalogue> {
  const [planRows, addOnRows] = await Promise.all([
    db.select().from(plans).where(eq(plans.tenantId, tenantId)).orderBy(asc(plans.rank), asc(plans.key)),
    db.select().from(planAddOns).where(eq(planAddOns.tenantId, tenantId)).orderBy(asc(planAddOns.key)),
  ]);
  return { plans: planRows, addOns: addOnRows };
}

/** The plans and add-ons a tenant offers now, cheapest rank first. */
export async function planCatalogue(db: Db, actor: Actor, tenantId: string): Promise<PlanCatalogue> {
  assertTenantAccess(actor, tenantId);
  const all = await catalogueOf(db, tenantId);
  return { plans: all.plans.filter((p) => p.active), addOns: all.addOns.filter((a) => a.active) };
}

export type SubscriptionView = {
  subscription: Subscription;
  plan: Plan;
  addOns: PlanAddOn[];
  currency: string;
  /** Plan plus add-ons, per cycle, in minor units. */
  recurring: number;
  pending: { plan: Plan | null; cycle: Cycle | null; effectiveAt: Date } | null;
  /** A cancellation scheduled for the end of the period. */
  cancelsAt: Date | null;
  changes: SubscriptionChange[];
};

function viewOf(sub: Subscription, catalogue: PlanCatalogue, changes: SubscriptionChange[] = []): SubscriptionView {
  const plan = catalogue.plans.find((p) => p.id === sub.planId)!;
  const addOns = sub.addOnKeys.map((k) => catalogue.addOns.find((a) => a.key === k)).filter((a): a is PlanAddOn => a !== undefined);
  const pendingPlan = sub.pendingPlanId ? (catalogue.plans.find((p) => p.id === sub.pendingPlanId) ?? null) : null;
  return {
    subscription: sub,
    plan,
    addOns,
    currency: plan.currency,
    recurring: recurringPrice(plan, addOns, sub.cycle),
    pending: sub.pendingEffectiveAt && (pendingPlan || sub.pendingCycle) ? { plan: pendingPlan, cycle: sub.pendingCycle, effectiveAt: sub.pendingEffectiveAt } : null,
    cancelsAt: sub.status === "active" && sub.cancelledAt ? sub.cancelledAt : null,
    changes,
  };
}

/** The customer's subscription (the latest, if ever there were several) with its plan, add-ons, any pending change and its recent changes; null when none. */
export async function customerSubscription(db: Db, actor: Actor, customer: { tenantId: string; id: string }): Promise<SubscriptionView | null> {
  assertTenantAccess(actor, customer.tenantId);
  const [sub] = await db
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.tenantId, customer.tenantId), eq(subscriptions.customerId, customer.id)))
    .orderBy(desc(subscriptions.createdAt))
    .limit(1);
  if (!sub) return null;
  const [catalogue, changes] = await Promise.all([
    catalogueOf(db, customer.tenantId),
    db
      .select()
      .from(subscriptionChanges)
      .where(and(eq(subscriptionChanges.tenantId, sub.tenantId), eq(subscriptionChanges.subscriptionId, sub.id)))
      .orderBy(desc(subscriptionChanges.at))
      .limit(10),
  ]);
  return viewOf(sub, catalogue, changes);
}

/** What choosing a plan would do, for the agent to read out before confirming. */
export type PlanQuote = PlanChange & { planKey: string };

/** The quote for every other active plan, at `now` (the charge is worked out again when the change is made). */
export function planQuotes(view: SubscriptionView, catalogue: PlanCatalogue, now = new Date()): PlanQuote[] {
  const period = periodOf(view.subscription);
  return catalogue.plans
    .filter((p) => p.active && p.id !== view.plan.id)
    .map((p) => ({
      planKey: p.key,
      ...planChange({ period, now, fromRank: view.plan.rank, toRank: p.rank, fromRecurring: view.recurring, toRecurring: recurringPrice(p, view.addOns, view.subscription.cycle) }),
    }));
}

// ---------------------------------------------------------------------------------------------------
// Writing

const periodOf = (sub: Subscription): Period => ({ start: sub.currentPeriodStart, end: sub.currentPeriodEnd });

type SubscriptionSet = Partial<Omit<typeof subscriptions.$inferInsert, "tenantId" | "id" | "customerId" | "version">>;
type Decision = { kind: SubscriptionChangeKind; set: SubscriptionSet; price: PriceChange; priceCycle?: Cycle; addOn?: PlanAddOn; reason?: string | null };
type Context = { sub: Subscription; view: SubscriptionView; catalogue: PlanCatalogue; now: Date };

/** The subscription as its change rows and audit events record it: keys and amounts, no personal data. */
function snapshot(sub: Subscription, catalogue: PlanCatalogue) {
  const key = (id: string | null) => (id ? (catalogue.plans.find((p) => p.id === id)?.key ?? null) : null);
  return {
    plan: key(sub.planId)!,
    cycle: sub.cycle,
    addOns: sub.addOnKeys,
    status: sub.status,
    pendingPlan: key(sub.pendingPlanId),
    pendingCycle: sub.pendingCycle,
    pendingEffectiveAt: sub.pendingEffectiveAt?.toISOString() ?? null,
    cancelsAt: sub.status === "active" && sub.cancelledAt ? sub.cancelledAt.toISOString() : null,
  };
}

function changeRecord(kind: SubscriptionChangeKind, after: Subscription, catalogue: PlanCatalogue, price: PriceChange, priceCycle: Cycle, addOn?: PlanAddOn): SubscriptionChangeRecord {
  const name = (id: string | null) => (id ? (catalogue.plans.find((p) => p.id === id)?.name ?? null) : null);
  const snap = snapshot(after, catalogue);
  return {
    kind,
    plan: snap.plan,
    planName: name(after.planId)!,
    cycle: after.cycle,
    addOns: after.addOnKeys,
    status: after.status,
    pendingPlan: snap.pendingPlan,
    pendingPlanName: name(after.pendingPlanId),
    pendingCycle: after.pendingCycle,
    cancelsAt: snap.cancelsAt,
    ...(addOn ? { addOn: addOn.key, addOnName: addOn.name } : {}),
    currency: catalogue.plans.find((p) => p.id === after.planId)!.currency,
    effectiveAt: price.effectiveAt.toISOString(),
    amountDueNow: price.amountDueNow,
    recurringDifference: price.recurringDifference,
    priceCycle,
  };
}

/** Writes one change: the subscription row, its change row and its audit event, in the caller's transaction. */
async function writeChange(
  tx: Db,
  actor: Actor,
  sub: Subscription,
  catalogue: PlanCatalogue,
  decision: Decision,
  { interactionId = null, now }: { interactionId?: string | null; now: Date },
): Promise<{ updated: Subscription; record: SubscriptionChangeRecord }> {
  const [updated] = await tx
    .update(subscriptions)
    .set({ ...decision.set, version: sql`${subscriptions.version} + 1` })
    .where(and(eq(subscriptions.tenantId, sub.tenantId), eq(subscriptions.id, sub.id)))
    .returning();
  const record = changeRecord(decision.kind, updated!, catalogue, decision.price, decision.priceCycle ?? updated!.cycle, decision.addOn);
  const [change] = await tx
    .insert(subscriptionChanges)
    .values({
      tenantId: sub.tenantId,
      subscriptionId: sub.id,
      customerId: sub.customerId,
      kind: decision.kind,
      before: snapshot(sub, catalogue),
      after: snapshot(updated!, catalogue),
      effectiveAt: decision.price.effectiveAt,
      amountDueNow: decision.price.amountDueNow,
      recurringDifference: decision.price.recurringDifference,
      reason: decision.reason ?? null,
      interactionId,
      changedBy: actor.type === "staff" ? actor.id : null,
      at: now,
    })
    .returning({ id: subscriptionChanges.id });
  await recordAudit(tx, actor, {
    tenantId: sub.tenantId,
    action: `subscription.${decision.kind}`,
    entityType: "subscription",
    entityId: sub.id,
    customerId: sub.customerId,
    interactionId,
    before: snapshot(sub, catalogue),
    after: { ...record, change: change!.id },
    reason: decision.reason ?? null,
  });
  return { updated: updated!, record };
}

/**
 * Brings a subscription up to `now`: each period that has ended renews, applying a pending plan or
 * cycle change due at its boundary, or ends the subscription where a cancellation was scheduled.
 * Paused and cancelled subscriptions do not renew. Recorded as the system's doing, not the agent's.
 */
async function bringUpToDate(tx: Db, sub: Subscription, catalogue: PlanCatalogue, now: Date): Promise<Subscription> {
  const scheduler = systemActor("subscription renewals");
  let current = sub;
  while (current.status === "active" && current.currentPeriodEnd.getTime() <= now.getTime()) {
    const boundary = current.currentPeriodEnd;
    if (current.cancelledAt && current.cancelledAt.getTime() <= boundary.getTime()) {
      const price = { effectiveAt: boundary, amountDueNow: 0, recurringDifference: 0 };
      current = (await writeChange(tx, scheduler, current, catalogue, { kind: "cancelled", set: { status: "cancelled", pendingPlanId: null, pendingCycle: null, pendingEffectiveAt: null }, price }, { now })).updated;
      break;
    }
    const pendingDue = current.pendingEffectiveAt !== null && current.pendingEffectiveAt.getTime() <= boundary.getTime();
    const planId = pendingDue ? (current.pendingPlanId ?? current.planId) : current.planId;
    const cycle = pendingDue ? (current.pendingCycle ?? current.cycle) : current.cycle;
    const before = viewOf(current, catalogue);
    const after = viewOf({ ...current, planId, cycle }, catalogue);
    const price = { effectiveAt: boundary, amountDueNow: after.recurring, recurringDifference: pendingDue ? after.recurring - before.recurring : 0 };
    const set: SubscriptionSet = { planId, cycle, currentPeriodStart: boundary, currentPeriodEnd: periodEnd(boundary, cycle), ...(pendingDue ? { pendingPlanId: null, pendingCycle: null, pendingEffectiveAt: null } : {}) };
    current = (await writeChange(tx, scheduler, current, catalogue, { kind: pendingDue ? "pending_change_applied" : "renewed", set, price }, { now })).updated;
  }
  return current;
}

function summary(view: SubscriptionView): string {
  const addOns = view.addOns.length ? ` with ${view.addOns.map((a) => a.name).join(", ")}` : "";
  const pending = view.pending ? `; changing to ${[view.pending.plan?.name, view.pending.cycle].filter(Boolean).join(", ")} on ${dayWords(view.pending.effectiveAt)}` : "";
  const cancels = view.cancelsAt ? `; ends on ${dayWords(view.cancelsAt)}` : "";
  return `${view.plan.name}, ${view.subscription.cycle}${addOns}, ${view.subscription.status}${pending}${cancels}`;
}

/** Plan, cycle and add-on changes need a running subscription with no cancellation scheduled. */
function requireRunning({ sub, view }: Context): void {
  if (sub.status === "cancelled") throw new ConflictError("This subscription is cancelled.");
  if (sub.status === "paused") throw new ConflictError("This subscription is paused: resume it first.");
  if (view.cancelsAt) throw new ConflictError(`This subscription ends on ${dayWords(view.cancelsAt)}: withdraw the cancellation (Resume) first.`);
}

export type SubscriptionChangeOutcome = { view: SubscriptionView; change: SubscriptionChangeRecord };

/**
 * The skeleton of every change made on a call: strong verification of the caller, the subscription
 * locked and checked against the version the agent saw (a stale change is refused with the current
 * state), the subscription brought up to date, the change decided, written and audited, and the
 * confirmation queued to the customer's email on file (else SMS), all in one transaction.
 */
async function changeOnCall(db: Db, actor: Actor, input: InCallChange, now: Date, decide: (context: Context) => Decision): Promise<SubscriptionChangeOutcome> {
  return db.transaction(async (tx) => {
    const { call } = await requireVerification(tx, actor, input.interactionId, input.customerId, "change_subscription", now);
    const [locked] = await tx
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.tenantId, call.tenantId), eq(subscriptions.id, input.subscriptionId), eq(subscriptions.customerId, call.customerId)))
      .for("update");
    if (!locked) throw new NotFoundError("No such subscription");
    const catalogue = await catalogueOf(tx, call.tenantId);
    if (locked.version !== input.version) {
      const current = viewOf(locked, catalogue);
      throw new ConflictError(`Someone else changed this subscription while you were looking. It is now: ${summary(current)}. Check it with the customer and try again.`, current);
    }
    const sub = await bringUpToDate(tx, locked, catalogue, now);
    const context: Context = { sub, view: viewOf(sub, catalogue), catalogue, now };
    const decision = decide(context);
    const { updated, record } = await writeChange(tx, actor, sub, catalogue, decision, { interactionId: call.id, now });
    const contact = await customerContact(tx, call.tenantId, call.customerId);
    if (contact?.route) {
      const message = subscriptionChangeConfirmation(contact.tenantName, subscriptionChangeParts(record, now), now);
      await enqueueMessage(tx, { tenantId: call.tenantId, channel: contact.route.channel, template: `subscription.${record.kind}`, recipient: contact.route.to, subject: message.subject, body: message.body, customerId: call.customerId, interactionId: call.id }, now);
    }
    return { view: viewOf(updated, catalogue), change: record };
  });
}

/** A plan of higher rank applies now, paying the prorated difference; any other waits for the period end. Choosing the current plan withdraws a pending change. */
export async function changePlan(db: Db, actor: Actor, input: z.output<typeof changePlanSchema>, now = new Date()): Promise<SubscriptionChangeOutcome> {
  return changeOnCall(db, actor, input, now, (c) => {
    requireRunning(c);
    const target = c.catalogue.plans.find((p) => p.key === input.planKey && p.active);
    if (!target) throw ValidationError.field("planKey", "Choose one of the plans offered");
    const { sub, view } = c;
    if (target.id === sub.planId) {
      if (!sub.pendingPlanId) throw ValidationError.field("planKey", `The customer is already on ${target.name}`);
      return { kind: "pending_plan_change_withdrawn", set: { pendingPlanId: null, pendingEffectiveAt: sub.pendingCycle ? sub.pendingEffectiveAt : null }, price: { effectiveAt: now, amountDueNow: 0, recurringDifference: 0 } };
    }
    if (target.id === sub.pendingPlanId) throw ValidationError.field("planKey", `A change to ${target.name} is already planned for ${dayWords(sub.pendingEffectiveAt!)}`);
    const quote = planChange({ period: periodOf(sub), now, fromRank: view.plan.rank, toRank: target.rank, fromRecurring: view.recurring, toRecurring: recurringPrice(target, view.addOns, sub.cycle) });
    const { direction, ...price } = quote;
    if (direction === "upgrade") {
      return { kind: "plan_upgraded", set: { planId: target.id, pendingPlanId: null, pendingEffectiveAt: sub.pendingCycle ? sub.pendingEffectiveAt : null }, price };
    }
    return { kind: "plan_downgrade_scheduled", set: { pendingPlanId: target.id, pendingEffectiveAt: sub.currentPeriodEnd }, price };
  });
}

/** Monthly ↔ yearly from the end of the current period; choosing the current cycle withdraws a pending switch. */
export async function switchCycle(db: Db, actor: Actor, input: z.output<typeof switchCycleSchema>, now = new Date()): Promise<SubscriptionChangeOutcome> {
  return changeOnCall(db, actor, input, now, (c) => {
    requireRunning(c);
    const { sub, view, catalogue } = c;
    if (input.cycle === sub.cycle) {
      if (!sub.pendingCycle) throw ValidationError.field("cycle", `The customer is already billed ${sub.cycle}`);
      return { kind: "pending_cycle_switch_withdrawn", set: { pendingCycle: null, pendingEffectiveAt: sub.pendingPlanId ? sub.pendingEffectiveAt : null }, price: { effectiveAt: now, amountDueNow: 0, recurringDifference: 0 } };
    }
    if (input.cycle === sub.pendingCycle) throw ValidationError.field("cycle", `A switch to ${input.cycle} billing is already planned for ${dayWords(sub.pendingEffectiveAt!)}`);
    // The plan in force at the switch: a downgrade planned for the same date applies with it.
    const planThen = (sub.pendingPlanId && catalogue.plans.find((p) => p.id === sub.pendingPlanId)) || view.plan;
    const price = cycleSwitch({ period: periodOf(sub), fromRecurring: recurringPrice(planThen, view.addOns, sub.cycle), toRecurring: recurringPrice(planThen, view.addOns, input.cycle) });
    return { kind: "cycle_switch_scheduled", set: { pendingCycle: input.cycle, pendingEffectiveAt: sub.currentPeriodEnd }, price, priceCycle: input.cycle };
  });
}

/** An add-on applies now, charged for the time left in the period. */
export async function addAddOn(db: Db, actor: Actor, input: z.output<typeof addOnSchema>, now = new Date()): Promise<SubscriptionChangeOutcome> {
  return changeOnCall(db, actor, input, now, (c) => {
    requireRunning(c);
    const addOn = c.catalogue.addOns.find((a) => a.key === input.addOnKey && a.active);
    if (!addOn) throw ValidationError.field("addOnKey", "Choose one of the add-ons offered");
    if (c.sub.addOnKeys.includes(addOn.key)) throw ValidationError.field("addOnKey", `The subscription already has ${addOn.name}`);
    const price = addOnAdded({ period: periodOf(c.sub), now, addOnPrice: c.sub.cycle === "monthly" ? addOn.monthlyPrice : addOn.yearlyPrice });
    return { kind: "add_on_added", set: { addOnKeys: [...c.sub.addOnKeys, addOn.key] }, price, addOn };
  });
}

/** Removing an add-on applies now and credits the unused part of the period (see billing.ts for why not at the period end). */
export async function removeAddOn(db: Db, actor: Actor, input: z.output<typeof addOnSchema>, now = new Date()): Promise<SubscriptionChangeOutcome> {
  return changeOnCall(db, actor, input, now, (c) => {
    requireRunning(c);
    const addOn = c.catalogue.addOns.find((a) => a.key === input.addOnKey);
    if (!addOn || !c.sub.addOnKeys.includes(addOn.key)) throw ValidationError.field("addOnKey", "Choose an add-on the subscription has");
    const price = addOnRemoved({ period: periodOf(c.sub), now, addOnPrice: c.sub.cycle === "monthly" ? addOn.monthlyPrice : addOn.yearlyPrice });
    return { kind: "add_on_removed", set: { addOnKeys: c.sub.addOnKeys.filter((k) => k !== addOn.key) }, price, addOn };
  });
}

/** A pause applies now and credits the unused part of the period; billing stops until resumed. */
export async function pauseSubscription(db: Db, actor: Actor, input: z.output<typeof pauseSchema>, now = new Date()): Promise<SubscriptionChangeOutcome> {
  return changeOnCall(db, actor, input, now, (c) => {
    requireRunning(c);
    const price = stopBilling({ period: periodOf(c.sub), now, recurring: c.view.recurring, atPeriodEnd: false });
    return { kind: "paused", set: { status: "paused", pausedAt: now, statusReason: input.reason }, price, reason: input.reason };
  });
}

/**
 * Resuming a paused subscription starts a new period now, paid now; a change planned for a date that
 * passed during the pause applies with it. On a running subscription whose cancellation is scheduled,
 * resuming withdraws the cancellation.
 */
export async function resumeSubscription(db: Db, actor: Actor, input: z.output<typeof resumeSchema>, now = new Date()): Promise<SubscriptionChangeOutcome> {
  return changeOnCall(db, actor, input, now, ({ sub, view, catalogue }) => {
    if (sub.status === "cancelled") throw new ConflictError("This subscription is cancelled: it cannot be resumed.");
    if (sub.status === "active") {
      if (!view.cancelsAt) throw new ConflictError("This subscription is already running.");
      return { kind: "cancellation_withdrawn", set: { cancelledAt: null, statusReason: null }, price: { effectiveAt: now, amountDueNow: 0, recurringDifference: view.recurring } };
    }
    const pendingDue = sub.pendingEffectiveAt !== null && sub.pendingEffectiveAt.getTime() <= now.getTime();
    const planId = pendingDue ? (sub.pendingPlanId ?? sub.planId) : sub.planId;
    const cycle = pendingDue ? (sub.pendingCycle ?? sub.cycle) : sub.cycle;
    const resumed = resumeBilling({ now, cycle, recurring: viewOf({ ...sub, planId, cycle }, catalogue).recurring });
    const { period, ...price } = resumed;
    return {
      kind: "resumed",
      set: {
        status: "active",
        planId,
        cycle,
        pausedAt: null,
        statusReason: null,
        currentPeriodStart: period.start,
        currentPeriodEnd: period.end,
        // A change still to come moves to the end of the new period.
        ...(pendingDue ? { pendingPlanId: null, pendingCycle: null, pendingEffectiveAt: null } : sub.pendingEffectiveAt ? { pendingEffectiveAt: period.end } : {}),
      },
      price,
    };
  });
}

/**
 * Cancels with the customer's reason: at the end of the period they have paid for (the default,
 * nothing credited), or now if they ask, crediting the unused part. A paused subscription, already
 * credited when paused, ends now.
 */
export async function cancelSubscription(db: Db, actor: Actor, input: z.output<typeof cancelSchema>, now = new Date()): Promise<SubscriptionChangeOutcome> {
  return changeOnCall(db, actor, input, now, ({ sub, view }) => {
    if (sub.status === "cancelled") throw new ConflictError("This subscription is already cancelled.");
    const ended = { status: "cancelled" as const, cancelledAt: now, statusReason: input.reason, pendingPlanId: null, pendingCycle: null, pendingEffectiveAt: null };
    if (sub.status === "paused") return { kind: "cancelled", set: ended, price: { effectiveAt: now, amountDueNow: 0, recurringDifference: 0 }, reason: input.reason };
    if (input.when === "now") {
      return { kind: "cancelled", set: ended, price: stopBilling({ period: periodOf(sub), now, recurring: view.recurring, atPeriodEnd: false }), reason: input.reason };
    }
    if (view.cancelsAt) throw ValidationError.field("when", `The subscription already ends on ${dayWords(view.cancelsAt)}`);
    return { kind: "cancellation_scheduled", set: { cancelledAt: sub.currentPeriodEnd, statusReason: input.reason }, price: stopBilling({ period: periodOf(sub), now, recurring: view.recurring, atPeriodEnd: true }), reason: input.reason };
  });
}

/**
 * Ends a subscription now for a reason that is not a call (the erasure of the customer): brought up
 * to date first, then cancelled with the unused part credited, recorded as a cancellation is (the
 * change row and its audit event), in the caller's transaction. No confirmation is sent: the caller
 * tells the customer. A subscription already cancelled is returned as it is.
 */
export async function endSubscriptionNow(tx: Db, actor: Actor, subscription: Subscription, reason: string, now = new Date()): Promise<Subscription> {
  if (subscription.status === "cancelled") return subscription;
  const catalogue = await catalogueOf(tx, subscription.tenantId);
  const sub = await bringUpToDate(tx, subscription, catalogue, now);
  if (sub.status === "cancelled") return sub;
  const price = sub.status === "paused" ? { effectiveAt: now, amountDueNow: 0, recurringDifference: 0 } : stopBilling({ period: periodOf(sub), now, recurring: viewOf(sub, catalogue).recurring, atPeriodEnd: false });
  const set = { status: "cancelled" as const, cancelledAt: now, statusReason: reason, pendingPlanId: null, pendingCycle: null, pendingEffectiveAt: null };
  return (await writeChange(tx, actor, sub, catalogue, { kind: "cancelled", set, price, reason }, { now })).updated;
}

// ---------------------------------------------------------------------------------------------------
// Renewals and pending changes, in the background

const DEFAULT_BATCH_SIZE = 100;

/**
 * Renews every running subscription whose period has ended by `now`, applying the changes that were
 * waiting for that date (a downgrade, a switch of cycle, a cancellation), up to `batchSize` of them in
 * one transaction. The claim uses SKIP LOCKED, so replicas and workers run side by side without
 * waiting for each other or applying a change twice; a subscription an agent is changing is skipped
 * and taken next time (the agent's change brings it up to date itself). Returns how many it took.
 */
export async function applyDueSubscriptionChanges(db: Db, now = new Date(), batchSize = DEFAULT_BATCH_SIZE): Promise<number> {
  return db.transaction(async (tx) => {
    const due = await tx
      .select({ subscription: subscriptions })
      .from(subscriptions)
      .innerJoin(customers, and(eq(customers.tenantId, subscriptions.tenantId), eq(customers.id, subscriptions.customerId)))
      // An erased customer is never charged again (the erasure cancels; this holds whatever got past it).
      .where(and(eq(subscriptions.status, "active"), lte(subscriptions.currentPeriodEnd, now), ne(customers.status, "erased")))
      .orderBy(asc(subscriptions.currentPeriodEnd))
      .limit(batchSize)
      .for("update", { of: [subscriptions], skipLocked: true });
    const catalogues = new Map<string, PlanCatalogue>();
    for (const { subscription } of due) {
      if (!catalogues.has(subscription.tenantId)) catalogues.set(subscription.tenantId, await catalogueOf(tx, subscription.tenantId));
      await bringUpToDate(tx, subscription, catalogues.get(subscription.tenantId)!, now);
    }
    return due.length;
  });
}

/** Renews and applies due changes every `intervalMs`, batch after batch until none is due. */
export function startSubscriptionRenewals(getDb: () => Promise<Db>, intervalMs: number, batchSize = DEFAULT_BATCH_SIZE): () => Promise<void> {
  return startPeriodicJob("Subscription renewals", intervalMs, async () => ({ moreWaiting: (await applyDueSubscriptionChanges(await getDb(), new Date(), batchSize)) === batchSize }));
}

// ---------------------------------------------------------------------------------------------------
// Creating (the demo seed; sign-up itself is not a call flow)

export const newSubscriptionSchema = z.object({
  customerId: z.uuid("Unknown customer"),
  planKey: z.string().trim().min(1, "Choose a plan"),
  cycle: z.enum(billingCycle.enumValues, "Choose monthly or yearly"),
  addOnKeys: z.array(z.string().trim().min(1)).default([]),
  startAt: z.date(),
});

/** Starts a subscription whose first period begins at `startAt`, recorded and audited like any change. */
export async function createSubscription(db: Db, actor: Actor, tenantId: string, input: z.input<typeof newSubscriptionSchema>, now = new Date()): Promise<Subscription> {
  assertTenantAccess(actor, tenantId);
  const parsed = newSubscriptionSchema.parse(input);
  const catalogue = await catalogueOf(db, tenantId);
  const plan = catalogue.plans.find((p) => p.key === parsed.planKey && p.active);
  const errors = [
    ...(plan ? [] : [{ path: "planKey", message: "Choose one of the plans offered" }]),
    ...parsed.addOnKeys.filter((k) => !catalogue.addOns.some((a) => a.key === k && a.active)).map((k) => ({ path: "addOnKeys", message: `Unknown add-on '${k}'` })),
  ];
  if (errors.length) throw new ValidationError(errors);
  const [customer] = await db.select({ id: customers.id }).from(customers).where(and(eq(customers.tenantId, tenantId), eq(customers.id, parsed.customerId)));
  if (!customer) throw new NotFoundError("No such customer");
  const [created] = await db
    .insert(subscriptions)
    .values({ tenantId, customerId: customer.id, planId: plan!.id, cycle: parsed.cycle, addOnKeys: [...new Set(parsed.addOnKeys)], currentPeriodStart: parsed.startAt, currentPeriodEnd: periodEnd(parsed.startAt, parsed.cycle), createdAt: now })
    .returning();
  const view = viewOf(created!, catalogue);
  const price = { effectiveAt: parsed.startAt, amountDueNow: view.recurring, recurringDifference: view.recurring };
  const record = changeRecord("created", created!, catalogue, price, created!.cycle);
  await db.insert(subscriptionChanges).values({
    tenantId,
    subscriptionId: created!.id,
    customerId: customer.id,
    kind: "created",
    after: snapshot(created!, catalogue),
    effectiveAt: price.effectiveAt,
    amountDueNow: price.amountDueNow,
    recurringDifference: price.recurringDifference,
    changedBy: actor.type === "staff" ? actor.id : null,
    at: now,
  });
  await recordAudit(db, actor, { tenantId, action: "subscription.created", entityType: "subscription", entityId: created!.id, customerId: customer.id, after: record });
  return created!;
}

/** A tenant's catalogue entries, created or left as they are (by key). */
export async function putCatalogue(
  db: Db,
  actor: Actor,
  tenantId: string,
  catalogue: { currency: string; plans: readonly { key: string; name: string; rank: number; monthlyPrice: number; yearlyPrice: number }[]; addOns: readonly { key: string; name: string; monthlyPrice: number; yearlyPrice: number }[] },
): Promise<void> {
  assertTenantAccess(actor, tenantId);
  if (catalogue.plans.length) await db.insert(plans).values(catalogue.plans.map((p) => ({ ...p, tenantId, currency: catalogue.currency }))).onConflictDoNothing();
  if (catalogue.addOns.length) await db.insert(planAddOns).values(catalogue.addOns.map((a) => ({ ...a, tenantId }))).onConflictDoNothing();
  await recordAudit(db, actor, { tenantId, action: "subscription.catalogue_put", entityType: "plan_catalogue", after: { plans: catalogue.plans.map((p) => p.key), addOns: catalogue.addOns.map((a) => a.key) } });
}

/** Ids of a tenant's customers by reference, for the seed. */
export async function customerIdsByRef(db: Db, tenantId: string, refs: readonly string[]): Promise<Map<string, string>> {
  if (refs.length === 0) return new Map();
  const rows = await db.select({ id: customers.id, ref: customers.ref }).from(customers).where(and(eq(customers.tenantId, tenantId), inArray(customers.ref, [...refs])));
  return new Map(rows.map((r) => [r.ref, r.id]));
}
