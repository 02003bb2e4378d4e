import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, consentEvents, consentState, customerPreferences, customers, notices, outboxMessages, preferenceTopics, type Customer } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { StaffActor } from "@/lib/actor";
import { recordCallConsent, recordMarketingObjection } from "@/lib/consent/capture";
import { checkConsent, checkConsents } from "@/lib/consent/check";
import { updateProfile } from "@/lib/customers/profile";
import { ForbiddenError, NotFoundError, ValidationError } from "@/lib/errors";
import { VerificationRequiredError, checkKnowledge } from "@/lib/identity/verification";
import { endCall, startCall } from "@/lib/interactions/interactions";
import { addPreferenceTopic, customerPreferencesView, importMarketingPreferences, preferencesUpdateSchema, topicCatalogue, updateMarketingPreferences } from "./preferences";

/** Marketing preferences against a real migrated database with the demo seeded (PGlite, or PostgreSQL with DATABASE_URL). */
describe("marketing preferences", () => {
  let t: TestDatabase;
  let agent: StaffActor;
  let acmeOnly: StaffActor;
  let acme: string;
  let globex: string;

  const customerByRef = async (tenantId: string, ref: string): Promise<Customer> => {
    const [c] = await t.db.select().from(customers).where(and(eq(customers.tenantId, tenantId), eq(customers.ref, ref)));
    return c!;
  };
  const callWith = async (customer: Customer, { verified = true, recordingRef }: { verified?: boolean; recordingRef?: string } = {}) => {
    const call = await startCall(t.db, agent, { customerId: customer.id, recordingRef });
    const inCall = { interactionId: call.id, customerId: customer.id };
    if (verified) await checkKnowledge(t.db, agent, { ...inCall, kind: "date_of_birth", answer: customer.dateOfBirth! });
    return { call, inCall, end: () => endCall(t.db, agent, { interactionId: call.id, disposition: "resolved", summary: "done" }) };
  };
  const form = (values: Record<string, unknown>) => preferencesUpdateSchema.parse(values);
  const errorOf = async (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e);
  const ledgerOf = async (customer: Customer) => ({
    events: await t.db.select().from(consentEvents).where(and(eq(consentEvents.tenantId, customer.tenantId), eq(consentEvents.customerId, customer.id))),
    state: await t.db.select().from(consentState).where(and(eq(consentState.tenantId, customer.tenantId), eq(consentState.customerId, customer.id))),
  });
  const scriptFor = async (tenantId: string, purpose: string) => {
    const [n] = await t.db.select().from(notices).where(and(eq(notices.tenantId, tenantId), eq(notices.kind, "script"), sql`${purpose} = any(${notices.purposeKeys})`));
    return n!.id;
  };
  const ALL_ACME_TOPICS = ["energy_saving_tips", "tariff_news", "smart_home_offers", "community_events"];

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    agent = await signedInStaff(t.db, "agent@demo.test");
    acmeOnly = await signedInStaff(t.db, "agent.acme@demo.test");
    acme = await tenantIdByKey(t.db, "acme");
    globex = await tenantIdByKey(t.db, "globex");
  });
  afterAll(() => t.close());

  it("the demo seeds each brand's catalogue and a few customers' preferences; a tenant's catalogue is its own", async () => {
    expect((await topicCatalogue(t.db, agent, acme)).map((x) => x.name).sort()).toEqual(["Community events", "Energy-saving tips", "Smart home offers", "Tariff news"]);
    expect((await topicCatalogue(t.db, agent, globex)).map((x) => x.name).sort()).toEqual(["Network news", "New devices", "Plan upgrades", "Streaming bundles"]);
    expect(await errorOf(topicCatalogue(t.db, acmeOnly, globex))).toBeInstanceOf(NotFoundError);
    const zoe = await customerByRef(acme, "ACME-0002");
    const [seeded] = await t.db.select().from(customerPreferences).where(and(eq(customerPreferences.tenantId, acme), eq(customerPreferences.customerId, zoe.id)));
    expect(seeded).toMatchObject({ topicKeys: ["energy_saving_tips", "tariff_news"], frequency: "monthly", version: 1 });
    // An agent cannot add topics; an import is the product's own, never a person's.
    expect(await errorOf(addPreferenceTopic(t.db, agent, acme, { key: "boilers", name: "Boilers" }))).toBeInstanceOf(ForbiddenError);
    expect(await errorOf(importMarketingPreferences(t.db, agent as never, { tenantId: acme, customerRef: "ACME-0002", topicKeys: [], frequency: null }))).toBeInstanceOf(ForbiddenError);
  });

  it("is shown and changed only during a call with a caller verified at basic level, checked in the domain", async () => {
    const zoe = await customerByRef(acme, "ACME-0002");
    expect(await customerPreferencesView(t.db, agent, zoe)).toEqual({ visible: false, topicCount: 4 });
    const { inCall, end } = await callWith(zoe, { verified: false });
    expect(await customerPreferencesView(t.db, agent, zoe, inCall.interactionId)).toEqual({ visible: false, topicCount: 4 });
    const refused = await errorOf(updateMarketingPreferences(t.db, agent, form({ ...inCall, version: 1, topicKeys: ["tariff_news"], frequency: "weekly" })));
    expect(refused).toBeInstanceOf(VerificationRequiredError);
    const [row] = await t.db.select().from(customerPreferences).where(and(eq(customerPreferences.tenantId, acme), eq(customerPreferences.customerId, zoe.id)));
    expect(row).toMatchObject({ topicKeys: ["energy_saving_tips", "tariff_news"], version: 1 });
    await end();
    // Another agent's view of the same customer with someone else's call shows nothing either.
    const { inCall: verifiedCall, end: end2 } = await callWith(zoe);
    expect(await customerPreferencesView(t.db, acmeOnly, zoe, verifiedCall.interactionId)).toEqual({ visible: false, topicCount: 4 });
    const view = await customerPreferencesView(t.db, agent, zoe, verifiedCall.interactionId);
    expect(view).toMatchObject({ visible: true, frequency: "monthly", version: 1, retiredTopicKeys: [] });
    expect(view.visible && view.topics.filter((x) => x.chosen).map((x) => x.key).sort()).toEqual(["energy_saving_tips", "tariff_news"]);
    await end2();
  });

  it("saves topics and frequency, audits before and after in the same transaction, confirms to the customer and lists it at the end of the call", async () => {
    const peter = await customerByRef(acme, "ACME-0006");
    const { call, inCall, end } = await callWith(peter);
    const saved = await updateMarketingPreferences(t.db, agent, form({ ...inCall, version: "0", topicKeys: ["tariff_news", "smart_home_offers"], frequency: "weekly" }));
    expect(saved).toMatchObject({ topicKeys: ["tariff_news", "smart_home_offers"], frequency: "weekly", version: 1 });
    const again = await updateMarketingPreferences(t.db, agent, form({ ...inCall, version: 1, topicKeys: ["tariff_news"], frequency: "quarterly" }));
    expect(again).toMatchObject({ topicKeys: ["tariff_news"], frequency: "quarterly", version: 2 });

    const audits = await t.db.select().from(auditEvents).where(and(eq(auditEvents.interactionId, call.id), eq(auditEvents.action, "preferences.updated"))).orderBy(auditEvents.at);
    expect(audits.map((a) => [a.before, a.after])).toEqual([
      [{ topicKeys: [], frequency: null }, { topicKeys: ["tariff_news", "smart_home_offers"], frequency: "weekly" }],
      [{ topicKeys: ["tariff_news", "smart_home_offers"], frequency: "weekly" }, { topicKeys: ["tariff_news"], frequency: "quarterly" }],
    ]);
    expect(audits[0]).toMatchObject({ customerId: peter.id, actorId: agent.id, entityType: "customer_preferences" });

    const messages = await t.db.select().from(outboxMessages).where(and(eq(outboxMessages.interactionId, call.id), eq(outboxMessages.template, "preferences.updated"))).orderBy(outboxMessages.createdAt);
    expect(messages).toHaveLength(2);
    expect(messages[1]).toMatchObject({ channel: "email", recipient: peter.email });
    expect(messages[1]!.body).toContain("Tariff news, quarterly");

    // Saving the same choice again writes nothing.
    await updateMarketingPreferences(t.db, agent, form({ ...inCall, version: 2, topicKeys: ["tariff_news"], frequency: "quarterly" }));
    expect(await t.db.select().from(auditEvents).where(and(eq(auditEvents.interactionId, call.id), eq(auditEvents.action, "preferences.updated")))).toHaveLength(2);

    const ended = await end();
    expect(ended.changes).toContain("Updated your marketing preferences (topics and how often)");
  });

  it("confirms by SMS when the customer has no email on file", async () => {
    const chloe = await customerByRef(acme, "ACME-0012");
    const call = await startCall(t.db, agent, { customerId: chloe.id });
    const inCall = { interactionId: call.id, customerId: chloe.id };
    await checkKnowledge(t.db, agent, { ...inCall, kind: "postcode", answer: "YO1 8QZ" });
    await t.db.update(customers).set({ email: null, phone: "+447700900123" }).where(and(eq(customers.tenantId, acme), eq(customers.id, chloe.id)));
    await updateMarketingPreferences(t.db, agent, form({ ...inCall, version: 0, topicKeys: ["community_events"], frequency: "monthly" }));
    const [message] = await t.db.select().from(outboxMessages).where(and(eq(outboxMessages.interactionId, call.id), eq(outboxMessages.template, "preferences.updated")));
    expect(message).toMatchObject({ channel: "sms", recipient: "+447700900123" });
    await endCall(t.db, agent, { interactionId: call.id, disposition: "resolved", summary: "done" });
  });

  it("refuses topics outside the tenant's active catalogue, naming each, and a topic chosen without a frequency", async () => {
    const tomasz = await customerByRef(acme, "ACME-0010");
    const { call, inCall, end } = await callWith(tomasz);
    await t.db.insert(preferenceTopics).values({ tenantId: acme, key: "retired_offers", name: "Retired offers", active: false });
    const attempt = (topicKeys: string[], frequency?: string) => errorOf(updateMarketingPreferences(t.db, agent, form({ ...inCall, version: 0, topicKeys, frequency })));

    const unknown = (await attempt(["tariff_news", "boilers", "new_devices"], "weekly")) as ValidationError;
    expect(unknown).toBeInstanceOf(ValidationError);
    expect(unknown.fieldErrors).toEqual([{ path: "topicKeys", message: "'boilers', 'new_devices' are not topics of this brand" }]);
    const retired = (await attempt(["retired_offers"], "weekly")) as ValidationError;
    expect(retired.fieldErrors).toEqual([{ path: "topicKeys", message: "'Retired offers' is no longer offered" }]);
    const noFrequency = (await attempt(["tariff_news"])) as ValidationError;
    expect(noFrequency.fieldErrors.map((f) => f.path)).toEqual(["frequency"]);
    expect(preferencesUpdateSchema.safeParse({ ...inCall, version: 0, topicKeys: [], frequency: "daily" }).error!.issues.map((i) => i.path.join("."))).toEqual(["frequency"]);

    expect(await t.db.select().from(customerPreferences).where(and(eq(customerPreferences.tenantId, acme), eq(customerPreferences.customerId, tomasz.id)))).toEqual([]);
    expect(await t.db.select().from(auditEvents).where(and(eq(auditEvents.interactionId, call.id), eq(auditEvents.action, "preferences.updated")))).toEqual([]);
    await end();
  });

  it("refuses a save based on an outdated version and says what the values are now", async () => {
    const fiona = await customerByRef(acme, "ACME-0011");
    const { inCall, end } = await callWith(fiona);
    await updateMarketingPreferences(t.db, agent, form({ ...inCall, version: 0, topicKeys: ["energy_saving_tips"], frequency: "monthly" }));
    // A second agent's page, opened before that save, still says version 0.
    const stale = (await errorOf(updateMarketingPreferences(t.db, agent, form({ ...inCall, version: 0, topicKeys: ["tariff_news"], frequency: "weekly" })))) as ValidationError;
    expect(stale).toBeInstanceOf(ValidationError);
    expect(stale.message).toMatch(/Someone else saved/);
    expect(stale.fieldErrors).toEqual([
      { path: "topicKeys", message: "Changed by someone else while you were editing: now Energy-saving tips." },
      { path: "frequency", message: "Changed by someone else while you were editing: now Monthly." },
    ]);
    const [row] = await t.db.select().from(customerPreferences).where(and(eq(customerPreferences.tenantId, acme), eq(customerPreferences.customerId, fiona.id)));
    expect(row).toMatchObject({ topicKeys: ["energy_saving_tips"], frequency: "monthly", version: 1 });
    await end();
  });

  describe("preferences are not consent (issue 5, RULES.md A4, E)", () => {
    it("every topic at the most frequent frequency allows no channel without a grant, in the single check and the batch; an email grant allows email only", async () => {
      const raj = await customerByRef(acme, "ACME-0008");
      const before = await ledgerOf(raj);
      const { inCall, end } = await callWith(raj, { recordingRef: "REC-PREF-1" });
      await updateMarketingPreferences(t.db, agent, form({ ...inCall, version: 0, topicKeys: ALL_ACME_TOPICS, frequency: "as_it_happens" }));

      // The ledger and the consent state are untouched by a preferences update.
      expect(await ledgerOf(raj)).toEqual(before);
      const batch = () => checkConsents(t.db, acme, { checks: (["sms", "email", "phone", "post"] as const).map((channel) => ({ customer: "ACME-0008", purpose: "marketing", channel })) });
      expect(await checkConsent(t.db, acme, { customer: "ACME-0008", purpose: "marketing", channel: "sms" })).toMatchObject({ allowed: false, reason: "no_record" });
      expect((await batch()).map((c) => [c.channel, c.allowed])).toEqual([["sms", false], ["email", false], ["phone", false], ["post", false]]);

      await recordCallConsent(t.db, agent, { ...inCall, purpose: "marketing", channel: "email", decision: "grant", noticeId: await scriptFor(acme, "marketing") });
      expect(await checkConsent(t.db, acme, { customer: "ACME-0008", purpose: "marketing", channel: "email" })).toMatchObject({ allowed: true, reason: "granted" });
      expect(await checkConsent(t.db, acme, { customer: "ACME-0008", purpose: "marketing", channel: "sms" })).toMatchObject({ allowed: false, reason: "no_record" });
      expect((await batch()).map((c) => [c.channel, c.allowed])).toEqual([["sms", false], ["email", true], ["phone", false], ["post", false]]);

      // Changing preferences again leaves the one grant exactly as it was.
      const withGrant = await ledgerOf(raj);
      await updateMarketingPreferences(t.db, agent, form({ ...inCall, version: 1, topicKeys: [], frequency: "" }));
      expect(await ledgerOf(raj)).toEqual(withGrant);
      expect(await checkConsent(t.db, acme, { customer: "ACME-0008", purpose: "marketing", channel: "email" })).toMatchObject({ allowed: true, reason: "granted" });
      await end();
    });

    it("A4: a profile update and a preferences update take the same steps to the same outcome whether marketing was refused, withdrawn, objected to or granted", async () => {
      const script = await scriptFor(globex, "marketing");
      /** Puts the customer's marketing consent in a state, on a call of its own. */
      const decide = async (customer: Customer, state: "refused" | "withdrawn" | "objected" | "granted") => {
        const { inCall, end } = await callWith(customer, { recordingRef: `REC-A4-${customer.ref}` });
        const answer = (decision: "grant" | "refuse" | "withdraw") => recordCallConsent(t.db, agent, { ...inCall, purpose: "marketing", channel: "sms", decision, noticeId: decision === "grant" ? script : undefined });
        if (state === "refused") await answer("refuse");
        if (state === "granted") await answer("grant");
        if (state === "withdrawn") {
          await answer("grant");
          await answer("withdraw");
        }
        if (state === "objected") await recordMarketingObjection(t.db, agent, inCall);
        await end();
      };
      /** The same keystrokes for every customer; what the flow did, in terms that do not depend on who it was. */
      const flow = async (customer: Customer) => {
        const { call, inCall, end } = await callWith(customer);
        const profile = await updateProfile(t.db, agent, { ...inCall, version: customer.version, name: `${customer.name} Jr`, language: "fr" });
        const prefs = await updateMarketingPreferences(t.db, agent, form({ ...inCall, version: 0, topicKeys: ["new_devices", "network_news"], frequency: "monthly" }));
        const ended = await end();
        const audits = await t.db.select({ action: auditEvents.action, outcome: auditEvents.outcome, after: auditEvents.after }).from(auditEvents).where(eq(auditEvents.interactionId, call.id)).orderBy(auditEvents.at);
        const outbox = await t.db.select({ template: outboxMessages.template, channel: outboxMessages.channel }).from(outboxMessages).where(eq(outboxMessages.interactionId, call.id)).orderBy(outboxMessages.createdAt);
        return {
          profile: { versionDelta: profile.version - customer.version, name: profile.name.endsWith(" Jr"), language: profile.language, status: profile.status },
          prefs: { topicKeys: prefs.topicKeys, frequency: prefs.frequency, version: prefs.version },
          audits: audits.map((a) => [a.action, a.outcome, a.action === "preferences.updated" ? a.after : null]),
          outbox,
          changes: ended.changes,
        };
      };

      const states = ["refused", "withdrawn", "objected", "granted"] as const;
      const refs = ["GLX-0005", "GLX-0006", "GLX-0007", "GLX-0008"];
      const traces = [];
      for (const [i, state] of states.entries()) {
        const customer = await customerByRef(globex, refs[i]!);
        await decide(customer, state);
        const expected = { granted: true, refused: false, withdrawn: false, objected: false }[state];
        expect((await checkConsent(t.db, globex, { customer: customer.ref, purpose: "marketing", channel: "sms" })).allowed).toBe(expected);
        traces.push(await flow(await customerByRef(globex, customer.ref)));
      }
      expect(traces[0]!.prefs).toEqual({ topicKeys: ["new_devices", "network_news"], frequency: "monthly", version: 1 });
      expect(traces[0]!.profile).toEqual({ versionDelta: 1, name: true, language: "fr", status: "active" });
      for (const trace of traces.slice(1)) expect(trace).toEqual(traces[0]);
    });
  });
});
