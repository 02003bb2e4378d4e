import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows, type Db } from "@/db/client";
import {
  accessPackages,
  auditEvents,
  consentEvents,
  customers,
  devMailbox,
  notices,
  outboxMessages,
  paymentMethods,
  privacyRequests,
  retentionHolds,
  subscriptionChanges,
  subscriptions,
  suppressionEntries,
  vaultTokens,
  type Customer,
  type Interaction,
  type PrivacyRequest,
} from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { everyTableAsText } from "@/db/testing/every-column";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor, type StaffActor } from "@/lib/actor";
import { recordCallConsent } from "@/lib/consent/capture";
import { checkConsent } from "@/lib/consent/check";
import { closeConsentDispute, reportDispute } from "@/lib/consent/disputes";
import { contactPointHash } from "@/lib/consent/hashing";
import { DISPUTE_LINK_TTL_MS, signLink } from "@/lib/consent/links";
import { recordExternalConsent } from "@/lib/consent/record";
import { verifyTenantLedger } from "@/lib/consent/verify";
import { putCustomer } from "@/lib/customers/customers";
import { maskEmail } from "@/lib/customers/masking";
import { updateProfile } from "@/lib/customers/profile";
import { ConflictError, ForbiddenError, ValidationError } from "@/lib/errors";
import { storeSecurityAnswer } from "@/lib/identity/security-settings";
import { endCall, startCall } from "@/lib/interactions/interactions";
import { isSealed, unseal } from "@/lib/notifications/sealed";
import { devMailboxTransport, readDevMailbox, type OutgoingMessage } from "@/lib/notifications/transports";
import { deliverDueMessages } from "@/lib/notifications/worker";
import { customerByRef, verifyStrongly } from "@/lib/payments/testing";
import { updateMarketingPreferences } from "@/lib/preferences/preferences";
import { applyDueSubscriptionChanges } from "@/lib/subscriptions/subscriptions";
import { registerWebhookEndpoint } from "@/lib/webhooks/webhooks";
import { offlineTargets } from "@/db/testing/webhook-targets";
import { CLEARED, carryOutErasure, erasurePlan } from "./erasure";
import { buildAccessPackage, reviewAndReleasePackage } from "./access-package";
import { assignRequest, completeRequest, confirmIdentity, extendRequest, rejectRequest } from "./queue";
import { createPrivacyRequest, logPrivacyRequest } from "./requests";
import { endOfFinancialYear, retentionFor } from "./retention";

/**
 * RULES.md B9, B13, D9, I5: a customer with something in every table asks to be erased on a strongly
 * verified call; carried out, no table holds their name, email or phone any more (searched in every
 * column of every table, before and after the outbox worker runs), the kept records carry their
 * basis and deletion date, the ledger still verifies, the consent check answers `erased`, and neither
 * the email nor the phone can be imported again.
 */

const RAJ = { ref: "ACME-0008", name: "Raj Patel", email: "raj.patel@example.com", phone: "+447723456123", national: "07723 456123", dob: "1972-04-04" };
const RAJ_NEW_EMAIL = "raj.p@example.net";
const PRIYA = { ref: "GLX-0006", name: "Priya Shah", email: "priya.shah@example.com", phone: "+16465550123", national: "(646) 555-0123", dob: "1987-07-07" };

type Person = { name: string; emails: string[]; phones: string[] };
const escape = (v: string) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** What to look for: the name case-insensitive, each email case-insensitive, each phone in E.164, in the national spacing and as bare digits. */
const needlesOf = (p: Person): { label: string; re: RegExp }[] => [
  { label: "name", re: new RegExp(p.name.split(" ").map(escape).join("\\s+"), "i") },
  ...p.emails.map((e) => ({ label: `email ${e}`, re: new RegExp(escape(e), "i") })),
  ...p.phones.flatMap((phone) => [{ label: `phone ${phone}`, re: new RegExp(escape(phone)) }]),
];

/** The tables in which any of the needles is found, every column of every table searched. */
async function searchDatabase(db: Db, needles: { label: string; re: RegExp }[]): Promise<{ table: string; found: string[] }[]> {
  return (await everyTableAsText(db))
    .map(({ table, text }) => ({ table, found: needles.filter((n) => n.re.test(text)).map((n) => n.label) }))
    .filter((r) => r.found.length > 0);
}

describe("erasure", () => {
  let t: TestDatabase;
  let acme: string;
  let globex: string;
  let agent: StaffActor;
  let supervisor: StaffActor;
  let admin: StaffActor;
  let raj: Customer;
  let request: PrivacyRequest;
  const webhooks: OutgoingMessage[] = [];
  const transports = () => ({ email: devMailboxTransport(t.db), sms: devMailboxTransport(t.db), webhook: { send: async (m: OutgoingMessage) => void webhooks.push(m) } });
  const deliverAll = async () => {
    while ((await deliverDueMessages(t.db, transports(), { batchSize: 50 })).claimed > 0);
  };
  const rajNeedles = needlesOf({ name: RAJ.name, emails: [RAJ.email, RAJ_NEW_EMAIL], phones: [RAJ.phone, RAJ.national, RAJ.national.replace(/\s/g, "")] });
  const requestRow = async (id: string) => (await t.db.select().from(privacyRequests).where(eq(privacyRequests.id, id)))[0]!;
  const customerRow = async (id: string) => (await t.db.select().from(customers).where(eq(customers.id, id)))[0]!;
  const noticeOf = async (tenantId: string, purpose: string, kind: "script" | "web") =>
    (await t.db.select({ id: notices.id }).from(notices).where(and(eq(notices.tenantId, tenantId), eq(notices.kind, kind), sql`${purpose} = any(${notices.purposeKeys})`)))[0]!.id;

  async function verifiedCall(customer: Customer, dob: string, recordingRef: string, callerNumber?: string): Promise<Interaction> {
    const call = await startCall(t.db, agent, { customerId: customer.id, recordingRef, callerNumber });
    await verifyStrongly(t.db, agent, call, dob);
    return call;
  }

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    acme = await tenantIdByKey(t.db, "acme");
    globex = await tenantIdByKey(t.db, "globex");
    agent = await signedInStaff(t.db, "agent@demo.test");
    supervisor = await signedInStaff(t.db, "supervisor@demo.test");
    admin = await signedInStaff(t.db, "admin@demo.test");
    raj = await customerByRef(t.db, "acme", RAJ.ref);
    await registerWebhookEndpoint(t.db, admin, { tenantId: acme, url: "https://crm.acme.test/hooks/attest", description: "Acme CRM", eventTypes: ["customer.erased", "privacy_request.updated"] }, { targets: offlineTargets() });

    // Something in every table: consents with the customer's words, web evidence and a dispute from an
    // IP address, preferences, a security answer, calls with the caller's number and notes, a changed
    // email (contact history and a notice to the old address), the erasure request in their words, an
    // access package, delivered messages in the dev mailbox. The demo gave Raj a card, a bank account
    // (holder name "Raj Patel") and a yearly subscription.
    const first = await verifiedCall(raj, RAJ.dob, "REC-ERASE-0001", RAJ.national);
    const inFirst = { interactionId: first.id, customerId: raj.id };
    await recordCallConsent(t.db, agent, { ...inFirst, purpose: "marketing", channel: "email", decision: "grant", noticeId: await noticeOf(acme, "marketing", "script"), customerWords: `Yes, this is ${RAJ.name}, email me at ${RAJ.email}` });
    await recordCallConsent(t.db, agent, { ...inFirst, purpose: "marketing", channel: "sms", decision: "grant", noticeId: await noticeOf(acme, "marketing", "script"), customerWords: `Texts to ${RAJ.national} are fine` });
    await updateMarketingPreferences(t.db, agent, { ...inFirst, version: 0, topicKeys: ["tariff_news"], frequency: "monthly" });
    await storeSecurityAnswer(t.db, raj, "What was the name of your first pet?", "Biscuit");
    await endCall(t.db, agent, { interactionId: first.id, disposition: "resolved", summary: `${RAJ.name} called from ${RAJ.national} about tariffs; agreed to marketing by email and text.` });
    const token = signLink({ purpose: "dispute", tenantId: acme, ids: [first.id], expiresAt: new Date(Date.now() + DISPUTE_LINK_TTL_MS) });
    await reportDispute(t.db, token, { ip: "198.51.100.23", userAgent: "Mozilla/5.0 (Raj's phone)" });
    // A supervisor's note naming him by his first name only, which no search for "Raj Patel" finds.
    const [dispute] = await queryRows<{ id: string }>(t.db, sql`select id from consent_disputes where customer_id = ${raj.id}`);
    await closeConsentDispute(t.db, supervisor, { disputeId: dispute!.id, note: "Spoke to Raj: the web consent was his son's, on Raj's laptop." });
    await recordExternalConsent(t.db, systemActor("acme web form"), acme, {
      customer: RAJ.ref,
      purpose: "profiling",
      channel: "email",
      action: "grant",
      method: "web",
      notice: await noticeOf(acme, "profiling", "web"),
      contactPoint: RAJ.email,
      evidence: { ip: "198.51.100.24", userAgent: "Mozilla/5.0", text: `I, ${RAJ.name} (${RAJ.email}), agree to profiling.` },
    });

    const second = await verifiedCall(raj, RAJ.dob, "REC-ERASE-0002");
    const inSecond = { interactionId: second.id, customerId: raj.id };
    await updateProfile(t.db, agent, { ...inSecond, version: (await customerRow(raj.id)).version, email: RAJ_NEW_EMAIL });
    request = await logPrivacyRequest(t.db, agent, { ...inSecond, type: "erasure", customerWords: `Please delete everything you hold on me, ${RAJ.name}, ${RAJ.email}, ${RAJ.national}.` });
    await endCall(t.db, agent, { interactionId: second.id, disposition: "resolved", summary: `Erasure requested by ${RAJ.name}.` });
    await t.db.insert(accessPackages).values({
      tenantId: acme,
      requestId: request.id,
      customerId: raj.id,
      contents: Buffer.from(`${RAJ.name} ${RAJ.email}`).toString("base64"),
      sha256: "0".repeat(64),
      sizeBytes: 32,
      manifest: [{ file: "profile.json", records: 1 }],
      builtAt: new Date(),
      reviewNote: `Checked: only ${RAJ.name}'s own data`,
    });
    await deliverAll();
    raj = await customerRow(raj.id);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe("before carrying it out", () => {
    it("the search finds the customer's name, emails and phone in the tables that hold them (so it cannot pass by finding nothing)", async () => {
      const found = new Map((await searchDatabase(t.db, rajNeedles)).map((r) => [r.table, r.found]));
      expect(found.get('"public"."customers"')).toEqual(expect.arrayContaining(["name", `email ${RAJ_NEW_EMAIL}`, `phone ${RAJ.phone}`]));
      expect(found.get('"public"."contact_point_history"')).toEqual(expect.arrayContaining([`email ${RAJ.email}`, `email ${RAJ_NEW_EMAIL}`, `phone ${RAJ.phone}`]));
      expect(found.get('"public"."payment_methods"')).toContain("name");
      expect(found.get('"public"."consent_evidence"')).toEqual(expect.arrayContaining(["name", `email ${RAJ.email}`, `phone ${RAJ.national}`]));
      expect(found.get('"public"."interactions"')).toEqual(expect.arrayContaining(["name", `phone ${RAJ.phone}`, `phone ${RAJ.national}`]));
      expect(found.get('"public"."privacy_requests"')).toEqual(expect.arrayContaining(["name", `email ${RAJ.email}`]));
      expect(found.get('"public"."access_packages"')).toContain("name");
      expect(found.get('"public"."outbox_messages"')).toEqual(expect.arrayContaining([`email ${RAJ.email}`, `email ${RAJ_NEW_EMAIL}`, `phone ${RAJ.phone}`]));
      expect(found.get('"public"."dev_mailbox"')).toEqual(expect.arrayContaining([`email ${RAJ.email}`, `email ${RAJ_NEW_EMAIL}`]));
      const [dispute] = await queryRows<{ ip: string | null }>(t.db, sql`select ip from consent_disputes where customer_id = ${raj.id}`);
      expect(dispute!.ip).toBe("198.51.100.23");
    });

    it("shows the supervisor what will be erased and what kept, why and until when", async () => {
      const plan = await erasurePlan(t.db, supervisor, request.id);
      const erase = plan.erase.join("\n");
      expect(erase).toContain(`only its reference ${RAJ.ref}`);
      expect(erase).toMatch(/3 earlier or current email addresses and phone numbers/);
      expect(erase).toContain("security question");
      expect(erase).toContain("marketing preferences");
      expect(erase).toMatch(/The caller number and the notes of \d+ calls/);
      expect(erase).toMatch(/recorded with \d+ consent choices/);
      expect(erase).toContain("The IP address of 1 report");
      expect(erase).toContain("holder name and billing address of 2 payment methods");
      // The package's review note and the dispute's note are typed text, cleared whole; the recordings' references are kept.
      expect(erase).toContain("What staff wrote on 2 kept records (notes, reasons, outcomes, how identity was confirmed): cleared whole");
      expect(erase).toMatch(/The caller number and the notes of \d+ calls \(the references of their recordings are kept: see below\)/);
      expect(erase).toContain("The subscription ends now");
      expect(erase).not.toMatch(/raj|patel|example|7723/i);
      expect(plan.keep.map((k) => k.what)).toEqual([
        expect.stringMatching(/^Billing records/),
        expect.stringMatching(/^The record of the privacy requests/),
        expect.stringMatching(/^The record of consent choices/),
        expect.stringMatching(/^The references of the call recordings \(not the recordings: the brand's call recorder holds them/),
        expect.stringMatching(/^A scrambled \(hashed\) form/),
        expect.stringMatching(/^The audit trail/),
      ]);
      expect(plan.keep[0]!.basis).toContain("Companies Act 2006 s.388");
      expect(plan.keep[1]!.basis).toContain("UK GDPR Art. 5(2)");
      expect(plan.keep[2]!.basis).toContain("Limitation Act 1980");
      // The recordings' references go with the consents they evidence.
      expect(plan.keep[3]!.deleteAfter).toBe(plan.keep[2]!.deleteAfter);
      expect(plan.keep[4]!.deleteAfter).toBeNull();
      for (const k of [plan.keep[0]!, plan.keep[1]!, plan.keep[2]!, plan.keep[5]!]) expect(k.deleteAfter).toMatch(/^\d{4}-\d\d-\d\dT/);
    });

    it("refuses an agent, a stale version, a request of another type and one whose identity is still pending, changing nothing", async () => {
      await expect(carryOutErasure(t.db, agent, { requestId: request.id, version: request.version })).rejects.toBeInstanceOf(ForbiddenError);
      await expect(erasurePlan(t.db, agent, request.id)).rejects.toBeInstanceOf(ForbiddenError);
      // A second supervisor took the request after this one opened it: the form's version is stale.
      const assigned = await assignRequest(t.db, admin, { requestId: request.id, version: request.version, assigneeId: supervisor.id });
      await expect(carryOutErasure(t.db, supervisor, { requestId: request.id, version: request.version })).rejects.toThrow("Someone else changed this request");
      request = assigned;

      const [access] = await t.db.select().from(privacyRequests).where(and(eq(privacyRequests.tenantId, globex), eq(privacyRequests.type, "access"), eq(privacyRequests.status, "open")));
      await expect(carryOutErasure(t.db, supervisor, { requestId: access!.id, version: access!.version })).rejects.toThrow("This is not an erasure request.");
      const [pending] = await t.db.select().from(privacyRequests).where(and(eq(privacyRequests.tenantId, acme), eq(privacyRequests.type, "erasure"), eq(privacyRequests.status, "identity_pending")));
      const attempt = carryOutErasure(t.db, supervisor, { requestId: pending!.id, version: pending!.version });
      await expect(attempt).rejects.toBeInstanceOf(ConflictError);
      await expect(attempt).rejects.toThrow("Confirm the requester's identity first");
      // While an agent is on the line with the customer, the record is not emptied under them.
      const onCall = await startCall(t.db, agent, { customerId: raj.id });
      // Named, with when the call started: only that agent can end it.
      const started = `${onCall.startedAt.toISOString().replace("T", " ").slice(0, 16)} UTC`;
      await expect(carryOutErasure(t.db, supervisor, { requestId: request.id, version: request.version })).rejects.toThrow(
        `An agent is on a call with this customer: Alex Agent, since ${started}. Erase once the call has ended; only Alex Agent can end it, so ask them if it was left open.`,
      );
      await endCall(t.db, agent, { interactionId: onCall.id, disposition: "resolved", summary: "Call back later." });

      expect(await requestRow(request.id)).toEqual(request);
      expect(await customerRow(raj.id)).toEqual(raj);
      expect(await customerRow(pending!.customerId)).toMatchObject({ status: "active" });
      expect(await t.db.select().from(retentionHolds)).toEqual([]);
      expect(await t.db.select().from(suppressionEntries)).toEqual([]);
    });
  });

  describe("carried out", () => {
    let done: PrivacyRequest;
    let eventsBefore: number;
    let evidenceBefore: number;

    beforeAll(async () => {
      eventsBefore = (await t.db.select().from(consentEvents).where(eq(consentEvents.customerId, raj.id))).length;
      evidenceBefore = (await queryRows(t.db, sql`select 1 from consent_evidence v join consent_events e on e.tenant_id = v.tenant_id and e.id = v.event_id where e.customer_id = ${raj.id}`)).length;
      done = await carryOutErasure(t.db, supervisor, { requestId: request.id, version: request.version });
    });

    it("completes the request with what was kept, keeping the request itself without the customer's words", async () => {
      expect(done).toMatchObject({ status: "completed", version: request.version + 1, completedBy: supervisor.id, customerWords: null });
      expect(done.resolution).toMatch(/^Personal data erased \(customer record, .*\)\. Kept, restricted to their purpose: billing records until \d{4}-\d\d-\d\d; privacy requests until/);
      expect(done.kept).toEqual((await erasurePlan(t.db, supervisor, request.id)).keep);
      expect(done.kept!.map((k) => k.what)).toHaveLength(6);
      expect(evidenceBefore).toBeGreaterThan(0);
    });

    it("leaves only the id and the reference on the customer, erased and restricted", async () => {
      expect(await customerRow(raj.id)).toMatchObject({
        id: raj.id,
        ref: RAJ.ref,
        name: "Erased customer",
        nameSearch: "erased customer",
        email: null,
        phone: null,
        address: null,
        dateOfBirth: null,
        language: null,
        status: "erased",
        statusReason: `Erased at the customer's request (privacy request ${request.id})`,
        restricted: true,
        version: raj.version + 1,
      });
    });

    it("finds none of the customer's name, emails or phone in any column of any table", async () => {
      expect(await searchDatabase(t.db, rajNeedles)).toEqual([]);
      const [dispute] = await queryRows<{ ip: string | null }>(t.db, sql`select ip from consent_disputes where customer_id = ${raj.id}`);
      expect(dispute!.ip).toBeNull();
      const [pkg] = await t.db.select().from(accessPackages).where(eq(accessPackages.customerId, raj.id));
      expect(pkg).toMatchObject({ contents: null, droppedAt: expect.any(Date), reviewNote: CLEARED });
      const [closedDispute] = await queryRows<{ closing_note: string | null }>(t.db, sql`select closing_note from consent_disputes where customer_id = ${raj.id}`);
      expect(closedDispute!.closing_note).toBe(CLEARED);
      // The recordings' references stay on the calls, as evidence of what was agreed on them.
      const refs = await queryRows<{ recording_ref: string | null }>(t.db, sql`select recording_ref from interactions where customer_id = ${raj.id} order by started_at`);
      expect(refs.map((r) => r.recording_ref)).toEqual(expect.arrayContaining(["REC-ERASE-0001", "REC-ERASE-0002"]));
    });

    it("keeps the ledger whole, without the evidence, and it still verifies", async () => {
      expect(await t.db.select().from(consentEvents).where(eq(consentEvents.customerId, raj.id))).toHaveLength(eventsBefore);
      const evidence = await queryRows(t.db, sql`select 1 from consent_evidence v join consent_events e on e.tenant_id = v.tenant_id and e.id = v.event_id where e.customer_id = ${raj.id}`);
      expect(evidence).toEqual([]);
      expect(await verifyTenantLedger(t.db, supervisor, { tenantId: acme })).toMatchObject({ ok: true, broken: null });
    });

    it("answers `erased` to the consent check, for the purpose the customer had granted", async () => {
      expect(await checkConsent(t.db, acme, { customer: RAJ.ref, purpose: "marketing", channel: "email" })).toMatchObject({ allowed: false, reason: "erased" });
      expect(await checkConsent(t.db, acme, { customer: RAJ.ref, purpose: "profiling", channel: "email" })).toMatchObject({ allowed: false, reason: "erased" });
    });

    it("ends the subscription now with a change row, and removes the payment methods from the vault, keeping brand and last 4", async () => {
      const [sub] = await t.db.select().from(subscriptions).where(eq(subscriptions.customerId, raj.id));
      expect(sub).toMatchObject({ status: "cancelled", statusReason: "erasure", cancelledAt: done.completedAt });
      const [change] = await t.db.select().from(subscriptionChanges).where(and(eq(subscriptionChanges.subscriptionId, sub!.id), eq(subscriptionChanges.kind, "cancelled")));
      expect(change).toMatchObject({ reason: "erasure", changedBy: supervisor.id, effectiveAt: done.completedAt });
      expect(change!.amountDueNow).toBeLessThan(0); // the unused part of the year, credited
      const methods = await t.db.select().from(paymentMethods).where(eq(paymentMethods.customerId, raj.id));
      expect(methods).toHaveLength(2);
      for (const m of methods) {
        expect(m).toMatchObject({ holderName: null, billingAddress: null, isDefault: false, removedAt: expect.any(Date) });
        expect(m.last4).toMatch(/^\d{4}$/);
        const [token] = await t.db.select().from(vaultTokens).where(eq(vaultTokens.token, m.vaultToken));
        expect(token!.removedAt).toEqual(expect.any(Date));
      }
    });

    it("writes a retention hold for each kept category, with its basis and deletion date", async () => {
      const holds = await t.db.select().from(retentionHolds).where(eq(retentionHolds.customerId, raj.id));
      const by = new Map(holds.map((h) => [h.category, h]));
      expect([...by.keys()].sort()).toEqual(["audit_trail", "billing_records", "call_recordings", "consent_ledger", "privacy_requests", "suppression_list"]);
      for (const h of holds) expect(h).toMatchObject({ tenantId: acme, requestId: request.id, basis: expect.any(String), description: expect.any(String) });
      const at = done.completedAt!;
      // UK: 6 years after the end of the financial year (31 March) in which the final credit fell.
      const yearEnd = endOfFinancialYear(at, { month: 3, day: 31 });
      expect(by.get("billing_records")!.deleteAfter).toEqual(new Date(Date.UTC(yearEnd.getUTCFullYear() + 6, 2, 31, 23, 59, 59, 999)));
      expect(by.get("privacy_requests")!.deleteAfter!.getTime()).toBe(new Date(at).setUTCMonth(at.getUTCMonth() + 24));
      expect(by.get("consent_ledger")!.deleteAfter!.getTime()).toBe(new Date(at).setUTCFullYear(at.getUTCFullYear() + 6));
      expect(by.get("call_recordings")!.deleteAfter).toEqual(by.get("consent_ledger")!.deleteAfter);
      expect(by.get("audit_trail")!.deleteAfter).toEqual(by.get("billing_records")!.deleteAfter);
      expect(by.get("suppression_list")!.deleteAfter).toBeNull();
      expect(done.kept).toEqual(holds.filter(Boolean).sort((a, b) => ORDER.indexOf(a.category) - ORDER.indexOf(b.category)).map((h) => ({ what: h.description, basis: h.basis, deleteAfter: h.deleteAfter?.toISOString() ?? null })));
    });
    const ORDER = ["billing_records", "privacy_requests", "consent_ledger", "call_recordings", "suppression_list", "audit_trail"];

    it("suppresses each email and phone the customer has had, as a tenant-keyed hash", async () => {
      const entries = await t.db.select().from(suppressionEntries).where(eq(suppressionEntries.tenantId, acme));
      expect(entries.map((e) => [e.kind, e.valueHash]).sort()).toEqual(
        [
          ["email", contactPointHash(acme, RAJ.email)],
          ["email", contactPointHash(acme, RAJ_NEW_EMAIL)],
          ["phone", contactPointHash(acme, RAJ.phone)],
        ].sort(),
      );
      for (const e of entries) expect(e).toMatchObject({ reason: "erasure", requestId: request.id });
      expect(contactPointHash(globex, RAJ.email)).not.toBe(contactPointHash(acme, RAJ.email));
    });

    it("queues customer.erased to the subscribed endpoint, with the reference and no personal data", async () => {
      const [message] = await t.db.select().from(outboxMessages).where(and(eq(outboxMessages.tenantId, acme), eq(outboxMessages.channel, "webhook"), eq(outboxMessages.template, "customer.erased")));
      expect(JSON.parse(message!.body!)).toMatchObject({ type: "customer.erased", tenant: "acme", data: { customer: RAJ.ref, requestId: request.id, erasedAt: done.completedAt!.toISOString() } });
    });

    it("audits what was erased by category, never a value", async () => {
      const [event] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.action, "customer.erased"), eq(auditEvents.entityId, raj.id)));
      expect(event).toMatchObject({ actorId: supervisor.id, customerId: raj.id, reason: `privacy request ${request.id}`, before: { status: "active" } });
      expect(event!.after).toMatchObject({
        status: "erased",
        erased: expect.objectContaining({ contactPoints: 3, securitySettings: 1, preferences: 1, paymentMethods: 2, subscriptionsCancelled: 1, accessPackages: 1, disputeIps: 1, staffNotes: 2 }),
        suppressed: 3,
        customerTold: "email",
      });
      const [step] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.action, "privacy_request.erasure_carried_out"), eq(auditEvents.entityId, request.id)));
      expect(step!.after).toMatchObject({ status: "completed", kept: ["billing_records", "privacy_requests", "consent_ledger", "call_recordings", "suppression_list", "audit_trail"], requestsClosed: [] });
    });

    it("tells the customer what was kept through a sealed notice whose recipient is sealed too, and still no table holds their details after delivery", async () => {
      const [queued] = await t.db.select().from(outboxMessages).where(and(eq(outboxMessages.customerId, raj.id), eq(outboxMessages.template, "privacy_request.erasure_completed")));
      expect(queued).toMatchObject({ channel: "email", sensitive: true, status: "pending" });
      expect(isSealed(queued!.recipient) && isSealed(queued!.body!)).toBe(true);
      expect(unseal(queued!.recipient)).toBe(RAJ_NEW_EMAIL);

      await deliverAll();
      expect(await searchDatabase(t.db, rajNeedles)).toEqual([]);
      const [sent] = await t.db.select().from(outboxMessages).where(eq(outboxMessages.id, queued!.id));
      expect(sent).toMatchObject({ status: "delivered", body: null, recipient: maskEmail(RAJ_NEW_EMAIL) });
      const [stored] = await t.db.select().from(devMailbox).where(eq(devMailbox.messageId, queued!.id));
      expect(isSealed(stored!.recipient) && isSealed(stored!.body)).toBe(true);

      // Sealed, it is opened for admins alone; a supervisor sees that it is there.
      const sealed = (await readDevMailbox(t.db, supervisor)).find((m) => m.messageId === queued!.id);
      expect(sealed).toMatchObject({ recipient: null, body: null, sensitive: true });
      const shown = (await readDevMailbox(t.db, admin)).find((m) => m.messageId === queued!.id);
      expect(shown).toMatchObject({ recipient: RAJ_NEW_EMAIL, subject: "Your Acme Energy personal data has been deleted", sensitive: true });
      for (const k of done.kept!.filter((k) => !k.what.startsWith("A scrambled"))) expect(shown!.body).toContain(`- ${k.what}: ${k.basis}`);
      expect(shown!.body).toContain("scrambled (hashed) copy of your email address and phone number");
      // The messages sent before the erasure keep their record, without address or text.
      const earlier = await t.db.select().from(devMailbox).where(and(eq(devMailbox.tenantId, acme), sql`${devMailbox.messageId} <> ${queued!.id}`, sql`${devMailbox.messageId} in (select id from outbox_messages where customer_id = ${raj.id})`));
      expect(earlier.length).toBeGreaterThan(0);
      for (const m of earlier) expect(m).toMatchObject({ subject: null, body: "" });
      expect(webhooks.map((w) => JSON.parse(w.body).type)).toContain("customer.erased");
    });

    it("refuses to carry it out twice, changing nothing", async () => {
      const snapshot = async () => ({
        request: await requestRow(request.id),
        customer: await customerRow(raj.id),
        holds: (await t.db.select().from(retentionHolds)).length,
        suppressed: (await t.db.select().from(suppressionEntries)).length,
        outbox: (await t.db.select().from(outboxMessages)).length,
        audit: (await t.db.select().from(auditEvents).where(eq(auditEvents.customerId, raj.id))).length,
      });
      const before = await snapshot();
      await expect(carryOutErasure(t.db, supervisor, { requestId: request.id, version: done.version })).rejects.toThrow("This request is completed; nothing more can be done to it.");
      await expect(carryOutErasure(t.db, supervisor, { requestId: request.id, version: request.version })).rejects.toBeInstanceOf(ConflictError);
      expect(await snapshot()).toEqual(before);
      expect(await erasurePlan(t.db, supervisor, request.id)).toEqual({ erase: [], keep: done.kept });
    });

    it("is skipped by the renewal sweep even if a subscription of the erased customer were left running", async () => {
      const [sub] = await t.db.select().from(subscriptions).where(eq(subscriptions.customerId, raj.id));
      const past = new Date(Date.now() - 86_400_000);
      await t.db.update(subscriptions).set({ status: "active", cancelledAt: null, currentPeriodEnd: past }).where(eq(subscriptions.id, sub!.id));
      const changes = async () => (await t.db.select().from(subscriptionChanges).where(eq(subscriptionChanges.subscriptionId, sub!.id))).length;
      const before = await changes();
      await applyDueSubscriptionChanges(t.db);
      expect(await changes()).toBe(before);
      expect((await t.db.select().from(subscriptions).where(eq(subscriptions.id, sub!.id)))[0]).toMatchObject({ status: "active", currentPeriodEnd: past });
    });

    it("refuses to import the erased email or phone again, under a new reference, in any case or spacing", async () => {
      const importer = systemActor("acme CRM sync");
      const put = (ref: string, fields: { email?: string; phone?: string }) => putCustomer(t.db, importer, acme, ref, { name: "Raj Patel", ...fields });
      const refusal = async (attempt: Promise<unknown>) => {
        const error = await attempt.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).fieldErrors;
      };
      expect(await refusal(put("ACME-9001", { email: RAJ.email }))).toEqual([{ path: "email", message: "this email address was erased at the customer's request and may not be imported again" }]);
      expect(await refusal(put("ACME-9001", { email: "Raj.Patel@Example.com" }))).toEqual([{ path: "email", message: expect.stringContaining("was erased") }]);
      expect(await refusal(put("ACME-9001", { email: RAJ_NEW_EMAIL }))).toEqual([{ path: "email", message: expect.stringContaining("was erased") }]);
      expect(await refusal(put("ACME-9001", { phone: RAJ.national }))).toEqual([{ path: "phone", message: "this phone number was erased at the customer's request and may not be imported again" }]);
      expect(await refusal(put("ACME-9001", { phone: "+44 7723 456 123" }))).toEqual([{ path: "phone", message: expect.stringContaining("was erased") }]);
      expect(await refusal(put(RAJ.ref, { email: "someone.else@example.com" }))).toEqual([{ path: "ref", message: expect.stringContaining("erased") }]);
      // An existing customer cannot be changed to it either; anything else imports as before.
      expect(await refusal(put("ACME-0001", { email: RAJ.email }))).toEqual([{ path: "email", message: expect.stringContaining("was erased") }]);
      expect(await t.db.select().from(customers).where(eq(customers.ref, "ACME-9001"))).toEqual([]);
      expect((await put("ACME-9002", { email: "new.customer@example.com", phone: "07911 123457" })).created).toBe(true);
      // The same address is free in another tenant: the list is the tenant's. (Last: from here on the
      // database holds a "Raj Patel" again.)
      expect((await putCustomer(t.db, importer, globex, "GLX-9002", { name: "Raj Patel", email: RAJ.email })).created).toBe(true);
    });
  });

  describe("under the CCPA (globex)", () => {
    it("keeps billing records 7 years and the request 24 months, suppresses the US number in E.164, and refuses its import in national form", async () => {
      const priya = await customerByRef(t.db, "globex", PRIYA.ref);
      const call = await verifiedCall(priya, PRIYA.dob, "REC-ERASE-GLX-0001", PRIYA.national);
      const logged = await logPrivacyRequest(t.db, agent, { interactionId: call.id, customerId: priya.id, type: "erasure", customerWords: `Delete my data, I'm ${PRIYA.name}` });
      await endCall(t.db, agent, { interactionId: call.id, disposition: "resolved", summary: `${PRIYA.name} asked to be erased.` });
      expect(logged.status).toBe("open");
      const done = await carryOutErasure(t.db, admin, { requestId: logged.id, version: logged.version });
      expect(done.status).toBe("completed");
      const billing = done.kept!.find((k) => k.what.startsWith("Billing records"))!;
      expect(billing.basis).toContain("IRS");
      const at = done.completedAt!;
      expect(billing.deleteAfter).toBe(new Date(Date.UTC(at.getUTCFullYear() + 7, 11, 31, 23, 59, 59, 999)).toISOString());
      expect(done.kept!.find((k) => k.what.startsWith("The record of the privacy requests"))!.basis).toContain("11 CCR §7101");
      expect(await searchDatabase(t.db, needlesOf({ name: PRIYA.name, emails: [PRIYA.email], phones: [PRIYA.phone, PRIYA.national] }))).toEqual([]);
      const phones = await t.db.select().from(suppressionEntries).where(and(eq(suppressionEntries.tenantId, globex), eq(suppressionEntries.kind, "phone")));
      expect(phones.map((p) => p.valueHash)).toEqual([contactPointHash(globex, PRIYA.phone)]);
      const refused = await putCustomer(t.db, systemActor("globex CRM"), globex, "GLX-9003", { name: "P. Shah", phone: "646-555-0123" }).catch((e: unknown) => e);
      expect((refused as ValidationError).fieldErrors).toEqual([{ path: "phone", message: expect.stringContaining("was erased") }]);
    });
  });

  describe("what staff typed, and the customer's other requests (Siobhán O'Brien)", () => {
    const S = { ref: "ACME-0003", email: "siobhan.obrien@example.ie", national: "07400 123789", dob: "1977-11-02", postcode: "BT1 3NQ", street: "45 Harbour Road" };
    /** What a supervisor might type that no search for the customer's details would find: her first name alone, the surname with a curly apostrophe, her date of birth, postcode and street. */
    const needles = [
      { label: "first name", re: /Siobh[aá]n/i },
      { label: "surname", re: /O['’]Brien/i },
      { label: "email", re: /siobhan\.obrien@example\.ie/i },
      { label: "phone", re: /(\+44\s?|0)7400\s?123\s?789/ },
      { label: "date of birth", re: /1977-11-02/ },
      { label: "postcode", re: /BT1 3NQ/i },
      { label: "street", re: /45 Harbour Road/i },
    ];
    let siobhan: Customer;
    let erasure: PrivacyRequest;
    let done: PrivacyRequest;
    let stillOpen: PrivacyRequest[];
    const ofSiobhan = () => t.db.select().from(privacyRequests).where(eq(privacyRequests.customerId, siobhan.id));

    beforeAll(async () => {
      siobhan = await customerByRef(t.db, "acme", S.ref);
      const { tenantId } = siobhan;
      const call = await verifiedCall(siobhan, S.dob, "REC-ERASE-0003");
      const rectification = await logPrivacyRequest(t.db, agent, { interactionId: call.id, customerId: siobhan.id, type: "rectification", customerWords: "My surname is misspelt" });
      await endCall(t.db, agent, { interactionId: call.id, disposition: "resolved", summary: "Rectification logged." });
      await completeRequest(t.db, supervisor, { requestId: rectification.id, version: rectification.version, resolution: `Corrected the surname of Siobhán O’Brien; confirmation sent to ${S.email}` });

      // An access request answered (its review note typed), then a second one extended and still open.
      const first = await createPrivacyRequest(t.db, supervisor, tenantId, { customer: S.ref, type: "access", channel: "email" });
      const firstOpen = await confirmIdentity(t.db, supervisor, { requestId: first.id, version: first.version, method: `Called back on ${S.national}; Siobhán confirmed DOB ${S.dob} and postcode ${S.postcode}` });
      await buildAccessPackage(t.db, supervisor, { requestId: first.id, version: firstOpen.version });
      const built = (await t.db.select().from(privacyRequests).where(eq(privacyRequests.id, first.id)))[0]!;
      await reviewAndReleasePackage(t.db, supervisor, { requestId: first.id, version: built.version, reviewNote: `Siobhán's call notes name her neighbour at ${S.street}: redacted`, thirdPartyDataReviewed: true });
      const second = await createPrivacyRequest(t.db, supervisor, tenantId, { customer: S.ref, type: "access", channel: "email" });
      const secondOpen = await confirmIdentity(t.db, supervisor, { requestId: second.id, version: second.version, method: "Email from the address on file, signed Siobhán" });
      const extended = await extendRequest(t.db, supervisor, { requestId: second.id, version: secondOpen.version, reason: `Siobhán's records at ${S.street} span two accounts` });

      // A portability request refused, and a rectification still waiting for identity.
      const portability = await createPrivacyRequest(t.db, supervisor, tenantId, { customer: S.ref, type: "portability", channel: "post" });
      const portabilityOpen = await confirmIdentity(t.db, supervisor, { requestId: portability.id, version: portability.version, method: "Letter signed Siobhán O’Brien, address matches" });
      await rejectRequest(t.db, supervisor, { requestId: portability.id, version: portabilityOpen.version, ground: "excessive", reason: `Siobhán (born ${S.dob}) was sent the same data last week` });
      const pending = await createPrivacyRequest(t.db, supervisor, tenantId, { customer: S.ref, type: "rectification", channel: "web" });
      stillOpen = [extended, pending];

      const asked = await createPrivacyRequest(t.db, supervisor, tenantId, { customer: S.ref, type: "erasure", channel: "email" });
      erasure = await confirmIdentity(t.db, supervisor, { requestId: asked.id, version: asked.version, method: `Email from ${S.email}, signed Siobhán` });
    });

    it("finds the typed text before the erasure (so the search below cannot pass by finding nothing)", async () => {
      const requests = (await everyTableAsText(t.db)).find((r) => r.table === '"public"."privacy_requests"')!.text;
      for (const n of needles.filter((n) => n.label !== "street")) expect(requests, n.label).toMatch(n.re);
      const packages = (await everyTableAsText(t.db)).find((r) => r.table === '"public"."access_packages"')!.text;
      expect(packages).toMatch(/45 Harbour Road/);
    });

    it("tells the supervisor that the typed text is cleared and the other open requests closed", async () => {
      const erase = (await erasurePlan(t.db, supervisor, erasure.id)).erase.join("\n");
      expect(erase).toContain("The customer's 2 other open requests (access, rectification) are closed as completed by this erasure: nothing is left to act on");
      expect(erase).toMatch(/What staff wrote on \d+ kept records .*: cleared whole/);
    });

    it("clears what staff typed on the kept requests and package whole, keeping the dates, type, channel, outcome and the ground of a refusal", async () => {
      done = await carryOutErasure(t.db, supervisor, { requestId: erasure.id, version: erasure.version });
      const requests = await ofSiobhan();
      expect(requests).toHaveLength(6);
      for (const r of requests) {
        expect(r.customerWords).toBeNull();
        for (const typed of [r.identityMethod, r.extensionReason, r.rejectionResponse]) expect([null, CLEARED]).toContain(typed);
        expect(r).toMatchObject({ receivedAt: expect.any(Date), channel: expect.any(String), completedAt: expect.any(Date) });
      }
      const byType = (type: string, status: string) => requests.find((r) => r.type === type && r.status === status)!;
      expect(byType("portability", "rejected")).toMatchObject({ rejectionReason: "excessive", rejectionResponse: CLEARED, identityMethod: CLEARED });
      expect(requests.find((r) => r.id === stillOpen[0]!.id)).toMatchObject({ extensionReason: CLEARED, extendedAt: expect.any(Date) });
      expect(requests.filter((r) => r.type === "rectification" && r.id !== stillOpen[1]!.id).map((r) => r.resolution)).toEqual([CLEARED]);
      expect(done.resolution).toMatch(/^Personal data erased/);
      expect(done.identityMethod).toBe(CLEARED);
      const packages = await t.db.select().from(accessPackages).where(eq(accessPackages.customerId, siobhan.id));
      expect(packages.map((p) => p.reviewNote)).toEqual([CLEARED]);
    });

    it("leaves none of it in any table (the audit trail and webhook bodies aside: no typed text is written there)", async () => {
      const hits = [];
      for (const { table, text } of await everyTableAsText(t.db)) {
        if (table === '"public"."audit_events"' || table === '"public"."outbox_messages"') continue;
        for (const n of needles) if (n.re.test(text)) hits.push(`${table}: ${n.label}`);
      }
      const messages = await queryRows<{ row: string }>(t.db, sql`select concat_ws(' | ', recipient, subject, body, last_error) as row from outbox_messages where channel <> 'webhook'`);
      for (const n of needles) if (messages.some((m) => n.re.test(m.row))) hits.push(`outbox_messages (to customers): ${n.label}`);
      expect(hits).toEqual([]);
    });

    it("closes the customer's other open requests in the same step, audited and announced", async () => {
      const requests = await ofSiobhan();
      for (const open of stillOpen) {
        const closed = requests.find((r) => r.id === open.id)!;
        expect(closed).toMatchObject({
          status: "completed",
          resolution: `Closed by the erasure of the customer's personal data (erasure request ${erasure.id}): nothing is left to act on.`,
          completedAt: done.completedAt,
          completedBy: supervisor.id,
          version: open.version + 1,
        });
        const [audit] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.entityId, open.id), eq(auditEvents.action, "privacy_request.closed_by_erasure")));
        expect(audit).toMatchObject({ actorId: supervisor.id, customerId: siobhan.id, before: { status: open.status }, after: { status: "completed", erasureRequestId: erasure.id } });
        const hooks = await t.db.select().from(outboxMessages).where(and(eq(outboxMessages.channel, "webhook"), eq(outboxMessages.template, "privacy_request.updated")));
        const announced = hooks.map((h) => JSON.parse(h.body!).data).filter((d: { id: string }) => d.id === open.id);
        // Only the closing can have announced it completed.
        expect(announced).toContainEqual(expect.objectContaining({ customer: S.ref, status: "completed", completedAt: done.completedAt!.toISOString() }));
      }
      expect(stillOpen.map((r) => r.status).sort()).toEqual(["identity_pending", "open"]);
      const [step] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.action, "customer.erased"), eq(auditEvents.entityId, siobhan.id)));
      expect((step!.after as { requestsClosed: string[] }).requestsClosed.sort()).toEqual(stillOpen.map((r) => r.id).sort());
      // Nothing of the customer is left in the supervisors' queue.
      expect(requests.filter((r) => ["identity_pending", "open", "in_progress", "awaiting_release"].includes(r.status))).toEqual([]);
    });
  });
});

describe("retention rules", () => {
  const at = new Date("2026-05-10T12:00:00Z");

  it("counts billing records from the end of the financial year of the last charge, by the tenant's rule packs", () => {
    expect(retentionFor("billing_records", ["uk_gdpr", "pecr"], { erasedAt: at, lastChargeAt: at }).deleteAfter).toEqual(new Date("2033-03-31T23:59:59.999Z"));
    expect(retentionFor("billing_records", ["uk_gdpr"], { erasedAt: at, lastChargeAt: new Date("2026-02-01T00:00:00Z") }).deleteAfter).toEqual(new Date("2032-03-31T23:59:59.999Z"));
    expect(retentionFor("billing_records", ["ccpa", "tcpa", "can_spam"], { erasedAt: at, lastChargeAt: at }).deleteAfter).toEqual(new Date("2033-12-31T23:59:59.999Z"));
    expect(retentionFor("billing_records", ["casl"], { erasedAt: at, lastChargeAt: at })).toMatchObject({ deleteAfter: new Date("2032-12-31T23:59:59.999Z"), basis: expect.stringContaining("6 years") });
  });

  it("keeps the longest period where several rule packs apply, and no date where the purpose has none", () => {
    expect(retentionFor("privacy_requests", ["ccpa"], { erasedAt: at }).deleteAfter).toEqual(new Date("2028-05-10T12:00:00Z"));
    expect(retentionFor("privacy_requests", ["ccpa", "hipaa"], { erasedAt: at })).toMatchObject({ deleteAfter: new Date("2032-05-10T12:00:00Z"), basis: expect.stringContaining("164.530(j)") });
    expect(retentionFor("consent_ledger", ["ccpa", "tcpa"], { erasedAt: at })).toMatchObject({ deleteAfter: new Date("2031-05-10T12:00:00Z"), basis: expect.stringContaining("64.1200(d)(6)") });
    expect(retentionFor("suppression_list", ["uk_gdpr"], { erasedAt: at }).deleteAfter).toBeNull();
  });
});
