import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, customers, outboxMessages, subscriptionChanges, subscriptions, type Customer, type Interaction } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { StaffActor } from "@/lib/actor";
import { ConflictError, NotFoundError, ValidationError } from "@/lib/errors";
import { VerificationRequiredError, checkKnowledge, checkVerificationCode, sendVerificationCode } from "@/lib/identity/verification";
import { endCall, openCallWith, startCall } from "@/lib/interactions/interactions";
import { unseal } from "@/lib/notifications/sealed";
import { periodEnd, prorate } from "./billing";
import { subscriptionPanel } from "./panel";
import {
  addAddOn,
  applyDueSubscriptionChanges,
  cancelSchema,
  cancelSubscription,
  changePlan,
  customerSubscription,
  pauseSchema,
  pauseSubscription,
  planCatalogue,
  planQuotes,
  removeAddOn,
  resumeSubscription,
  switchCycle,
  type SubscriptionView,
} from "./subscriptions";

const SECOND = 1000;

/** Subscription changes on a call, against a real migrated database with the demo seeded. */
describe("subscriptions", () => {
  let t: TestDatabase;
  let agent: StaffActor;
  let acme: string;
  let globex: string;

  const customerByRef = async (tenantId: string, ref: string): Promise<Customer> =>
    (await t.db.select().from(customers).where(and(eq(customers.tenantId, tenantId), eq(customers.ref, ref))))[0]!;

  /** A call with the customer, verified by a code by SMS and the date of birth (strong), or the date of birth only (basic). */
  async function callWith(customer: Customer, level: "strong" | "basic" = "strong"): Promise<Interaction> {
    const open = await openCallWith(t.db, agent, customer);
    if (open) await endCall(t.db, agent, { interactionId: open.id, disposition: "resolved", summary: "Done." });
    const call = await startCall(t.db, agent, { customerId: customer.id });
    if (level === "strong") {
      await sendVerificationCode(t.db, agent, { interactionId: call.id, channel: "sms" });
      const [message] = await t.db.select().from(outboxMessages).where(and(eq(outboxMessages.interactionId, call.id), eq(outboxMessages.template, "verification_code")));
      const code = /^(\d{6}) /.exec(unseal(message!.body!))![1]!;
      await checkVerificationCode(t.db, agent, { interactionId: call.id, code });
    }
    expect(await checkKnowledge(t.db, agent, { interactionId: call.id, kind: "date_of_birth", answer: customer.dateOfBirth! })).toMatchObject({ match: true, level });
    return call;
  }

  const subscriptionOf = async (customer: Customer): Promise<SubscriptionView> => (await customerSubscription(t.db, agent, customer))!;
  const inCall = (call: Interaction, view: SubscriptionView) => ({ interactionId: call.id, customerId: call.customerId, subscriptionId: view.subscription.id, version: view.subscription.version });
  const changesOf = (view: SubscriptionView) =>
    t.db.select().from(subscriptionChanges).where(and(eq(subscriptionChanges.tenantId, view.subscription.tenantId), eq(subscriptionChanges.subscriptionId, view.subscription.id))).orderBy(subscriptionChanges.at);
  const messagesOf = async (call: Interaction) =>
    (await t.db.select().from(outboxMessages).where(eq(outboxMessages.interactionId, call.id)).orderBy(outboxMessages.createdAt)).filter((m) => m.template.startsWith("subscription."));
  const auditOf = async (call: Interaction) => (await t.db.select().from(auditEvents).where(eq(auditEvents.interactionId, call.id)).orderBy(auditEvents.at)).filter((e) => e.action.startsWith("subscription."));

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    agent = await signedInStaff(t.db, "agent@demo.test");
    acme = await tenantIdByKey(t.db, "acme");
    globex = await tenantIdByKey(t.db, "globex");
  });
  afterAll(() => t?.close());

  it("each tenant has its own catalogue, in its currency, shown only to its staff", async () => {
    const acmeCatalogue = await planCatalogue(t.db, agent, acme);
    expect(acmeCatalogue.plans.map((p) => [p.name, p.rank, p.currency])).toEqual([
      ["Fixed Saver", 1, "GBP"],
      ["Standard Variable", 2, "GBP"],
      ["Green Plus", 3, "GBP"],
    ]);
    expect(acmeCatalogue.addOns.map((a) => a.name).sort()).toEqual(["Boiler cover", "Smart meter insights"]);
    const globexCatalogue = await planCatalogue(t.db, agent, globex);
    expect(globexCatalogue.plans.map((p) => [p.name, p.currency])).toEqual([
      ["Basic 5G", "USD"],
      ["Unlimited", "USD"],
      ["Unlimited Max", "USD"],
    ]);
    const acmeOnly = await signedInStaff(t.db, "agent.acme@demo.test");
    await expect(planCatalogue(t.db, acmeOnly, globex)).rejects.toBeInstanceOf(NotFoundError);
    const john = await customerByRef(globex, "GLX-0001");
    await expect(customerSubscription(t.db, acmeOnly, john)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("the demo gives most customers a subscription, recorded as created", async () => {
    const ann = await subscriptionOf(await customerByRef(acme, "ACME-0001"));
    expect(ann).toMatchObject({ plan: { name: "Fixed Saver" }, currency: "GBP", recurring: 4500 + 1200, pending: null, cancelsAt: null });
    expect(ann.subscription).toMatchObject({ cycle: "monthly", addOnKeys: ["boiler_cover"], status: "active", version: 1 });
    expect(ann.subscription.currentPeriodEnd.getTime()).toBe(periodEnd(ann.subscription.currentPeriodStart, "monthly").getTime());
    expect(ann.subscription.currentPeriodEnd.getTime()).toBeGreaterThan(Date.now());
    expect(ann.changes.map((c) => c.kind)).toEqual(["created"]);
    expect(await customerSubscription(t.db, agent, await customerByRef(acme, "ACME-0012"))).toBeNull();
    expect((await t.db.select().from(subscriptions)).length).toBe(20);
  });

  it("the card shows the subscription and, for each plan, whether it is an upgrade now or a downgrade at the period end", async () => {
    const mohammed = await customerByRef(acme, "ACME-0004"); // Fixed Saver, yearly, with Boiler cover
    const data = await subscriptionPanel(t.db, agent, mohammed);
    expect(data.subscription).toMatchObject({ planName: "Fixed Saver", cycle: "yearly", status: "active", price: "£570.00 a year", addOns: [{ key: "boiler_cover", name: "Boiler cover", price: "£120.00 a year" }], pending: null, cancelsAt: null });
    expect(data.planChoices.map((c) => c.key)).toEqual(["standard_variable", "green_plus"]);
    expect(data.planChoices[0]!.effect).toMatch(/^Upgrade, with effect from now: £\d+\.\d\d to pay now; your regular price goes up by £100\.00 a year\.$/);
    expect(data.addOnChoices.map((c) => c.key)).toEqual(["smart_meter_insights"]);
    expect(data.cycleSwitch).toMatchObject({ to: "monthly", withdraws: false });
    expect(data.cycleSwitch!.effect).toContain("£57.00 a month instead of £570.00 a year; nothing to pay now");
    expect((await subscriptionPanel(t.db, agent, await customerByRef(acme, "ACME-0012"))).subscription).toBeNull();
  });

  it("G3: every change is refused without strong verification, in the domain, and writes nothing", async () => {
    const zoe = await customerByRef(acme, "ACME-0002");
    const call = await callWith(zoe, "basic");
    const view = await subscriptionOf(zoe);
    const attempts = [
      () => changePlan(t.db, agent, { ...inCall(call, view), planKey: "green_plus" }),
      () => switchCycle(t.db, agent, { ...inCall(call, view), cycle: "yearly" }),
      () => addAddOn(t.db, agent, { ...inCall(call, view), addOnKey: "boiler_cover" }),
      () => removeAddOn(t.db, agent, { ...inCall(call, view), addOnKey: "smart_meter_insights" }),
      () => pauseSubscription(t.db, agent, { ...inCall(call, view), reason: "Away for winter" }),
      () => cancelSubscription(t.db, agent, { ...inCall(call, view), reason: "Moving house", when: "now" }),
    ];
    // One at a time: each is awaited as it is made, so no refusal goes unobserved.
    for (const attempt of attempts) await expect(attempt()).rejects.toBeInstanceOf(VerificationRequiredError);
    expect((await changesOf(view)).map((c) => c.kind)).toEqual(["created"]);
    expect(await subscriptionOf(zoe)).toMatchObject({ subscription: { version: 1 } });
    expect(await messagesOf(call)).toHaveLength(0);
  });

  it("an upgrade applies now and charges the prorated difference now; the customer is told what, from when and the price", async () => {
    const ann = await customerByRef(acme, "ACME-0001");
    const call = await callWith(ann);
    const before = await subscriptionOf(ann);
    const now = new Date();
    const { view, change } = await changePlan(t.db, agent, { ...inCall(call, before), planKey: "green_plus" }, now);

    const period = { start: before.subscription.currentPeriodStart, end: before.subscription.currentPeriodEnd };
    const due = prorate(6900 - 4500, period, now);
    expect(due).toBeGreaterThan(0);
    expect(view).toMatchObject({ plan: { key: "green_plus" }, recurring: 6900 + 1200, subscription: { version: 2, currentPeriodEnd: period.end } });
    expect(change).toMatchObject({ kind: "plan_upgraded", amountDueNow: due, recurringDifference: 2400, effectiveAt: now.toISOString() });

    const [, row] = await changesOf(before);
    expect(row).toMatchObject({ kind: "plan_upgraded", interactionId: call.id, changedBy: agent.id, amountDueNow: due, recurringDifference: 2400, effectiveAt: now });
    expect(row!.before).toMatchObject({ plan: "fixed_saver", cycle: "monthly", addOns: ["boiler_cover"] });
    expect(row!.after).toMatchObject({ plan: "green_plus", cycle: "monthly", addOns: ["boiler_cover"] });

    const [audit] = await auditOf(call);
    expect(audit).toMatchObject({ action: "subscription.plan_upgraded", entityId: before.subscription.id, customerId: ann.id, outcome: "success" });
    expect(audit!.after).toMatchObject({ plan: "green_plus", cycle: "monthly", addOns: ["boiler_cover"], amountDueNow: due, recurringDifference: 2400, currency: "GBP" });
    const auditText = JSON.stringify(audit);
    for (const personal of [ann.name, ann.email!, ann.phone!, ann.dateOfBirth!]) expect(auditText).not.toContain(personal);

    const [message] = await messagesOf(call);
    expect(message).toMatchObject({ channel: "email", recipient: ann.email, template: "subscription.plan_upgraded", customerId: ann.id });
    expect(message!.body).toContain("Changed your plan to Green Plus, with effect from now");
    expect(message!.body).toContain(`£${(due / 100).toFixed(2)} to pay now; your regular price goes up by £24.00 a month`);

    // The end-of-call summary lists it, price and all.
    const ended = await endCall(t.db, agent, { interactionId: call.id, disposition: "resolved", summary: "Upgraded." });
    expect(ended.changes).toContain(`Changed your plan to Green Plus (£${(due / 100).toFixed(2)} to pay now; your regular price goes up by £24.00 a month)`);
  });

  it("a change based on an outdated version is refused with the current state, and writes nothing", async () => {
    const gwen = await customerByRef(acme, "ACME-0005");
    const call = await callWith(gwen);
    const seen = await subscriptionOf(gwen);
    await addAddOn(t.db, agent, { ...inCall(call, seen), addOnKey: "boiler_cover" });
    const stale = changePlan(t.db, agent, { ...inCall(call, seen), planKey: "green_plus" });
    await expect(stale).rejects.toBeInstanceOf(ConflictError);
    await expect(stale).rejects.toThrow(/It is now: Standard Variable, monthly with Boiler cover, active/);
    expect((await changesOf(seen)).map((c) => c.kind)).toEqual(["created", "add_on_added"]);
    expect(await messagesOf(call)).toHaveLength(1);
  });

  it("a downgrade waits for the period end with nothing charged now, then applies when its date passes", async () => {
    const siobhan = await customerByRef(acme, "ACME-0003");
    const call = await callWith(siobhan);
    const before = await subscriptionOf(siobhan);
    const quotes = planQuotes(before, await planCatalogue(t.db, agent, acme));
    expect(quotes.map((q) => [q.planKey, q.direction, q.amountDueNow])).toEqual([
      ["fixed_saver", "downgrade", 0],
      ["standard_variable", "downgrade", 0],
    ]);
    const end = before.subscription.currentPeriodEnd;
    const { view, change } = await changePlan(t.db, agent, { ...inCall(call, before), planKey: "fixed_saver" });
    expect(view).toMatchObject({ plan: { key: "green_plus" }, pending: { plan: { key: "fixed_saver" }, cycle: null, effectiveAt: end } });
    expect(change).toMatchObject({ kind: "plan_downgrade_scheduled", amountDueNow: 0, recurringDifference: 4500 - 6900, effectiveAt: end.toISOString(), pendingPlan: "fixed_saver" });
    const [message] = await messagesOf(call);
    expect(message!.body).toMatch(/Your plan changes to Fixed Saver on \d{1,2} \w+ 20\d\d, with effect from \d{1,2} \w+ 20\d\d\. Price: nothing to pay now; your regular price goes down by £24\.00 a month/);

    // Nothing is due before the date; after it, the renewal applies the change and starts a new period.
    await applyDueSubscriptionChanges(t.db, new Date(end.getTime() - SECOND));
    expect(await subscriptionOf(siobhan)).toMatchObject({ plan: { key: "green_plus" }, pending: { plan: { key: "fixed_saver" } } });
    expect(await applyDueSubscriptionChanges(t.db, new Date(end.getTime() + SECOND))).toBeGreaterThanOrEqual(1);
    const after = await subscriptionOf(siobhan);
    expect(after).toMatchObject({ plan: { key: "fixed_saver" }, pending: null, subscription: { currentPeriodStart: end, currentPeriodEnd: periodEnd(end, "monthly") } });
    const applied = (await changesOf(before)).at(-1)!;
    expect(applied).toMatchObject({ kind: "pending_change_applied", effectiveAt: end, amountDueNow: 4500, recurringDifference: -2400, changedBy: null });
  });

  it("choosing the current plan or cycle withdraws a pending change; unknown or unchanged choices are per-field errors", async () => {
    const peter = await customerByRef(acme, "ACME-0006");
    const call = await callWith(peter);
    let view = await subscriptionOf(peter);
    await expect(changePlan(t.db, agent, { ...inCall(call, view), planKey: "green_plus" })).rejects.toMatchObject({ fieldErrors: [{ path: "planKey", message: "The customer is already on Green Plus" }] });
    await expect(changePlan(t.db, agent, { ...inCall(call, view), planKey: "platinum" })).rejects.toMatchObject({ fieldErrors: [{ path: "planKey" }] });
    await expect(switchCycle(t.db, agent, { ...inCall(call, view), cycle: "monthly" })).rejects.toMatchObject({ fieldErrors: [{ path: "cycle" }] });

    ({ view } = await switchCycle(t.db, agent, { ...inCall(call, view), cycle: "yearly" }));
    expect(view.pending).toMatchObject({ cycle: "yearly", plan: null, effectiveAt: view.subscription.currentPeriodEnd });
    ({ view } = await changePlan(t.db, agent, { ...inCall(call, view), planKey: "standard_variable" }));
    expect(view.pending).toMatchObject({ cycle: "yearly", plan: { key: "standard_variable" } });
    ({ view } = await changePlan(t.db, agent, { ...inCall(call, view), planKey: "green_plus" }));
    expect(view.pending).toMatchObject({ cycle: "yearly", plan: null });
    ({ view } = await switchCycle(t.db, agent, { ...inCall(call, view), cycle: "monthly" }));
    expect(view.pending).toBeNull();
    expect(view.subscription.pendingEffectiveAt).toBeNull();
    // (The renewal sweep of another test may have renewed the period meanwhile.)
    const kinds = (await changesOf(view)).map((c) => c.kind).filter((k) => k !== "renewed");
    expect(kinds).toEqual(["created", "cycle_switch_scheduled", "plan_downgrade_scheduled", "pending_plan_change_withdrawn", "pending_cycle_switch_withdrawn"]);
    const switched = (await changesOf(view))[1]!;
    // The yearly price from the period end, against the monthly one: nothing now.
    expect(switched).toMatchObject({ amountDueNow: 0, recurringDifference: 69000 - 6900, effectiveAt: view.subscription.currentPeriodEnd });
  });

  it("adding an add-on charges now for the time left; removing one credits it now", async () => {
    const zoe = await customerByRef(acme, "ACME-0002"); // Standard Variable with Smart meter insights
    const call = await callWith(zoe);
    let view = await subscriptionOf(zoe);
    const period = { start: view.subscription.currentPeriodStart, end: view.subscription.currentPeriodEnd };
    const addedAt = new Date();
    const added = await addAddOn(t.db, agent, { ...inCall(call, view), addOnKey: "boiler_cover" }, addedAt);
    expect(added.change).toMatchObject({ kind: "add_on_added", addOn: "boiler_cover", amountDueNow: prorate(1200, period, addedAt), recurringDifference: 1200 });
    view = added.view;
    await expect(addAddOn(t.db, agent, { ...inCall(call, view), addOnKey: "boiler_cover" })).rejects.toMatchObject({ fieldErrors: [{ path: "addOnKey" }] });
    await expect(removeAddOn(t.db, agent, { ...inCall(call, view), addOnKey: "device_insurance" })).rejects.toBeInstanceOf(ValidationError);
    const removedAt = new Date();
    const removed = await removeAddOn(t.db, agent, { ...inCall(call, view), addOnKey: "smart_meter_insights" }, removedAt);
    expect(removed.change).toMatchObject({ kind: "add_on_removed", amountDueNow: -prorate(300, period, removedAt), recurringDifference: -300 });
    expect(removed.view.subscription.addOnKeys).toEqual(["boiler_cover"]);
    const bodies = (await messagesOf(call)).map((m) => m.body);
    expect(bodies[0]).toContain("Added Boiler cover to your subscription, with effect from now");
    expect(bodies[1]).toMatch(/Removed Smart meter insights from your subscription, with effect from now\. Price: £\d+\.\d\d credited now; your regular price goes down by £3\.00 a month/);
  });

  it("a pause needs a reason, credits the unused part and holds every other change until resumed; resuming starts a new period", async () => {
    expect(pauseSchema.safeParse({ interactionId: crypto.randomUUID(), customerId: crypto.randomUUID(), subscriptionId: crypto.randomUUID(), version: "1", reason: " " }).error!.issues.map((i) => i.path.join("."))).toEqual(["reason"]);
    const tomasz = await customerByRef(acme, "ACME-0010");
    const call = await callWith(tomasz);
    let view = await subscriptionOf(tomasz);
    const pausedAt = new Date();
    const period = { start: view.subscription.currentPeriodStart, end: view.subscription.currentPeriodEnd };
    const paused = await pauseSubscription(t.db, agent, { ...inCall(call, view), reason: "Working abroad until spring" }, pausedAt);
    expect(paused.view.subscription).toMatchObject({ status: "paused", pausedAt, statusReason: "Working abroad until spring" });
    expect(paused.change).toMatchObject({ kind: "paused", amountDueNow: -prorate(4500 + 1200, period, pausedAt), recurringDifference: -(4500 + 1200) });
    view = paused.view;
    await expect(changePlan(t.db, agent, { ...inCall(call, view), planKey: "green_plus" })).rejects.toThrow(/paused: resume it first/);
    // Paused subscriptions do not renew.
    expect(await applyDueSubscriptionChanges(t.db, new Date(period.end.getTime() + 40 * 24 * 3600 * SECOND))).toBeGreaterThanOrEqual(0);
    expect((await subscriptionOf(tomasz)).subscription.status).toBe("paused");

    const resumedAt = new Date();
    const resumed = await resumeSubscription(t.db, agent, inCall(call, view), resumedAt);
    expect(resumed.view.subscription).toMatchObject({ status: "active", pausedAt: null, currentPeriodStart: resumedAt, currentPeriodEnd: periodEnd(resumedAt, "monthly") });
    expect(resumed.change).toMatchObject({ kind: "resumed", amountDueNow: 5700, recurringDifference: 5700 });
    await expect(resumeSubscription(t.db, agent, inCall(call, resumed.view))).rejects.toThrow(/already running/);
    const [row] = (await changesOf(view)).filter((c) => c.kind === "paused");
    expect(row!.reason).toBe("Working abroad until spring");
  });

  it("a cancellation needs a reason and takes effect at the period end unless now is chosen; resuming withdraws a scheduled one", async () => {
    expect(cancelSchema.safeParse({ interactionId: crypto.randomUUID(), customerId: crypto.randomUUID(), subscriptionId: crypto.randomUUID(), version: "1" }).error!.issues.map((i) => i.path.join("."))).toEqual(["reason", "when"]);
    const fiona = await customerByRef(acme, "ACME-0011");
    const call = await callWith(fiona);
    let view = await subscriptionOf(fiona);
    const end = view.subscription.currentPeriodEnd;
    const scheduled = await cancelSubscription(t.db, agent, { ...inCall(call, view), reason: "Switching supplier", when: "period_end" });
    expect(scheduled.view).toMatchObject({ cancelsAt: end, subscription: { status: "active", statusReason: "Switching supplier" } });
    expect(scheduled.change).toMatchObject({ kind: "cancellation_scheduled", amountDueNow: 0, recurringDifference: -5500, effectiveAt: end.toISOString() });
    view = scheduled.view;
    await expect(addAddOn(t.db, agent, { ...inCall(call, view), addOnKey: "boiler_cover" })).rejects.toThrow(/withdraw the cancellation/);
    ({ view } = await resumeSubscription(t.db, agent, inCall(call, view)));
    expect(view.cancelsAt).toBeNull();

    ({ view } = await cancelSubscription(t.db, agent, { ...inCall(call, view), reason: "Switching supplier after all", when: "period_end" }));
    expect(await applyDueSubscriptionChanges(t.db, new Date(end.getTime() + SECOND))).toBeGreaterThanOrEqual(1);
    const ended = await subscriptionOf(fiona);
    expect(ended.subscription).toMatchObject({ status: "cancelled", currentPeriodEnd: end });
    expect(ended.changes[0]).toMatchObject({ kind: "cancelled", effectiveAt: end });

    // Cancelling now credits the unused part of the period.
    const raj = await customerByRef(acme, "ACME-0008");
    const rajCall = await callWith(raj);
    const rajView = await subscriptionOf(raj);
    const now = new Date();
    const cancelled = await cancelSubscription(t.db, agent, { ...inCall(rajCall, rajView), reason: "Closing the account", when: "now" }, now);
    const period = { start: rajView.subscription.currentPeriodStart, end: rajView.subscription.currentPeriodEnd };
    expect(cancelled.view.subscription).toMatchObject({ status: "cancelled", cancelledAt: now, statusReason: "Closing the account" });
    expect(cancelled.change).toMatchObject({ kind: "cancelled", amountDueNow: -prorate(55000, period, now), recurringDifference: -55000 });
    await expect(cancelSubscription(t.db, agent, { ...inCall(rajCall, cancelled.view), reason: "Again", when: "now" })).rejects.toThrow(/already cancelled/);
  });

  it("A4: a customer who objected to all marketing changes their plan like anyone else", async () => {
    const emily = await customerByRef(acme, "ACME-0009"); // objected to all marketing on a demo call
    const call = await callWith(emily);
    const view = await subscriptionOf(emily);
    const { change } = await changePlan(t.db, agent, { ...inCall(call, view), planKey: "standard_variable" });
    expect(change.kind).toBe("plan_downgrade_scheduled");
  });

  it("works the same for a US tenant, in dollars, and the renewal sweep takes every due subscription once", async () => {
    const john = await customerByRef(globex, "GLX-0001");
    const call = await callWith(john);
    const view = await subscriptionOf(john);
    expect(view).toMatchObject({ plan: { name: "Basic 5G" }, currency: "USD" });
    const { change } = await changePlan(t.db, agent, { ...inCall(call, view), planKey: "unlimited_max" });
    expect(change).toMatchObject({ kind: "plan_upgraded", currency: "USD", recurringDifference: 4000 });
    const [message] = await messagesOf(call);
    expect(message!.body).toContain("your regular price goes up by $40.00 a month");

    // Far in the future every running subscription is due: one sweep renews each as often as needed, a second finds nothing.
    const later = new Date(Date.now() + 400 * 24 * 3600 * SECOND);
    let taken = 0;
    for (let n = await applyDueSubscriptionChanges(t.db, later, 5); n > 0; n = await applyDueSubscriptionChanges(t.db, later, 5)) taken += n;
    expect(taken).toBeGreaterThan(5);
    expect(await applyDueSubscriptionChanges(t.db, later)).toBe(0);
    const renewed = await subscriptionOf(john);
    expect(renewed.subscription.currentPeriodEnd.getTime()).toBeGreaterThan(later.getTime());
    expect(renewed.subscription.currentPeriodStart.getTime()).toBeLessThanOrEqual(later.getTime());
  });
});
