import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, consentDisputes, consentEvents, customers, notices, outboxMessages, type ConsentChannel, type Customer, type Interaction } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor, type StaffActor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { ConflictError, ForbiddenError } from "@/lib/errors";
import { endCall, startCall } from "@/lib/interactions/interactions";
import { isSealed, unseal } from "@/lib/notifications/sealed";
import { createPurpose, publishNotice } from "./catalogue";
import { checkConsent, purposeByKey } from "./check";
import { appendGrantAwaitingConfirmation } from "./confirmation";
import { closeConsentDispute, disputeRequest, openConsentDisputeCount, openConsentDisputes, reportDispute } from "./disputes";
import { appendConsentEvent } from "./ledger";
import { LinkError } from "./links";
import { recordExternalConsent } from "./record";
import { verifyLedger } from "./verify";

const meta = { ip: "198.51.100.23", userAgent: "Mozilla/5.0 (dispute test)" };

describe("consent receipts after a call, and \"this wasn't me\"", () => {
  let t: TestDatabase;
  let agent: StaffActor;
  let supervisor: StaffActor;
  let acme: string;
  let script: string;
  let healthScript: string;

  async function customerByRef(ref: string): Promise<Customer> {
    const [row] = await t.db.select().from(customers).where(and(eq(customers.tenantId, acme), eq(customers.ref, ref)));
    return row!;
  }
  /** What the agent's consent panel does for one answer: the event with the call, and its audit. */
  async function capture(call: Interaction, purposeKey: string, channel: ConsentChannel, action: "grant" | "refuse" | "withdraw" | "object" | "explicit") {
    await t.db.transaction(async (tx) => {
      const purpose = await purposeByKey(tx, acme, purposeKey);
      const input = {
        tenantId: acme,
        customerId: call.customerId,
        purpose,
        channel,
        action: action === "explicit" ? ("grant" as const) : action,
        method: "verbal" as const,
        noticeId: action === "explicit" ? healthScript : action === "grant" ? script : null,
        language: "en",
        interactionId: call.id,
        recordingRef: call.recordingRef,
        evidence: { text: "Yes, that's fine." },
        occurredAt: new Date(),
      };
      const event = action === "explicit" ? await appendGrantAwaitingConfirmation(tx, agent, input, "explicit_consent") : await appendConsentEvent(tx, agent, input);
      await recordAudit(tx, agent, { tenantId: acme, action: `consent.${event.action}`, entityType: "consent_event", entityId: event.id, customerId: call.customerId, interactionId: call.id, after: { purpose: purposeKey, channel, method: "verbal" } });
    });
  }
  const end = (call: Interaction) => endCall(t.db, agent, { interactionId: call.id, disposition: "resolved", summary: "Consent choices recorded." });
  const receiptsOf = (call: Interaction) => t.db.select().from(outboxMessages).where(and(eq(outboxMessages.interactionId, call.id), eq(outboxMessages.template, "consent.receipt")));
  const check = (ref: string, purpose: string, channel: ConsentChannel) => checkConsent(t.db, acme, { customer: ref, purpose, channel });
  const eventCount = async () => Number(((await t.db.select({ n: sql<number>`count(*)` }).from(consentEvents)) as [{ n: number }])[0].n);

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    agent = await signedInStaff(t.db, "agent@demo.test");
    supervisor = await signedInStaff(t.db, "supervisor@demo.test");
    acme = await tenantIdByKey(t.db, "acme");
    const [notice] = await t.db.select().from(notices).where(and(eq(notices.tenantId, acme), eq(notices.kind, "script"), sql`'marketing' = any(${notices.purposeKeys})`));
    script = notice!.id;
    await createPurpose(t.db, systemActor("test setup"), acme, {
      key: "health_offers",
      name: "Health offers",
      legalBasis: "consent",
      category: "health",
      specialCategory: true,
      channels: ["email", "sms"],
    });
    healthScript = (
      await publishNotice(t.db, systemActor("test setup"), acme, {
        purposeKeys: ["health_offers"],
        kind: "script",
        language: "en",
        text: "May Acme Energy use your health information for Health offers? You can withdraw your consent at any time.",
      })
    ).id;
  }, 120_000);
  afterAll(() => t?.close());

  it("sends one sealed receipt listing each decision in plain words, and lists them in the call's changes", async () => {
    const peter = await customerByRef("ACME-0006");
    const call = await startCall(t.db, agent, { customerId: peter.id, recordingRef: "REC-TEST-0006" });
    await capture(call, "marketing", "sms", "grant");
    await capture(call, "profiling", "email", "refuse");
    await capture(call, "health_offers", "sms", "explicit");
    const ended = await end(call);
    expect(ended.changes).toEqual(["You agreed to Marketing by SMS", "You refused Profiling by email", "Awaiting your confirmation: Health offers by SMS"]);

    const receipts = await receiptsOf(call);
    expect(receipts).toHaveLength(1);
    expect(receipts[0]).toMatchObject({ channel: "email", recipient: peter.email, sensitive: true, customerId: peter.id });
    expect(isSealed(receipts[0]!.body!)).toBe(true);
    const body = unseal(receipts[0]!.body!);
    expect(body).toContain("You agreed to Marketing by SMS");
    expect(body).toContain("You refused Profiling by email");
    expect(body).toContain("Awaiting your confirmation: Health offers by SMS");
    expect(body).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC: You agreed/);
    expect(body).toMatch(/http:\/\/localhost:3000\/consent\/dispute\/[A-Za-z0-9_-]+/);
  });

  it("sends no receipt after a call without consent changes", async () => {
    const raj = await customerByRef("ACME-0008");
    const call = await startCall(t.db, agent, { customerId: raj.id });
    const ended = await end(call);
    expect(ended.changes).toEqual([]);
    expect(await receiptsOf(call)).toEqual([]);
  });

  it("says an objection once, however many purposes and channels it covers", async () => {
    const emily = await customerByRef("ACME-0009");
    const call = await startCall(t.db, agent, { customerId: emily.id });
    await capture(call, "marketing", "email", "object");
    await capture(call, "marketing", "sms", "object");
    expect((await end(call)).changes).toEqual(["You objected to all marketing"]);
    expect(unseal((await receiptsOf(call))[0]!.body!).match(/You objected to all marketing/g)).toHaveLength(1);
  });

  it("a dispute invalidates exactly that call's choices, leaves a later choice alone, and waits for a supervisor", async () => {
    const tomasz = await customerByRef("ACME-0007");
    const call = await startCall(t.db, agent, { customerId: tomasz.id, recordingRef: "REC-TEST-0007" });
    await capture(call, "marketing", "sms", "grant");
    await capture(call, "marketing", "email", "grant");
    await capture(call, "third_party_sharing", "post", "grant");
    await end(call);
    // Afterwards, an unrelated choice through the web form: the customer's own, not the call's.
    const webForm = { type: "api_key" as const, id: "00000000-0000-4000-8000-000000000009", name: "web form", tenantId: acme, scopes: ["consent:write"], ip: null };
    await recordExternalConsent(t.db, webForm, acme, { customer: "ACME-0007", purpose: "marketing", channel: "email", action: "withdraw", method: "web" });

    const token = /\/consent\/dispute\/([A-Za-z0-9_-]+)/.exec(unseal((await receiptsOf(call))[0]!.body!))![1]!;
    const view = await disputeRequest(t.db, token);
    expect(view).toMatchObject({ tenantName: "Acme Energy", alreadyReported: false });
    expect(view.decisions.map((d) => d.words)).toEqual(["You agreed to Marketing by SMS", "You agreed to Marketing by email", "You agreed to Sharing with partners by post"]);

    const result = await reportDispute(t.db, token, meta);
    expect(result).toMatchObject({ status: "reported", invalidated: 2 });
    expect(await check("ACME-0007", "marketing", "sms")).toMatchObject({ allowed: false, reason: "invalidated" });
    expect(await check("ACME-0007", "third_party_sharing", "post")).toMatchObject({ allowed: false, reason: "invalidated" });
    expect(await check("ACME-0007", "marketing", "email")).toMatchObject({ allowed: false, reason: "withdrawn" });

    const [dispute] = await t.db.select().from(consentDisputes).where(eq(consentDisputes.id, result.disputeId));
    expect(dispute).toMatchObject({ tenantId: acme, customerId: tomasz.id, interactionId: call.id, ip: meta.ip, closedAt: null });
    expect(dispute!.eventIds).toHaveLength(2);
    const audits = await t.db.select().from(auditEvents).where(and(eq(auditEvents.tenantId, acme), eq(auditEvents.customerId, tomasz.id)));
    expect(audits.filter((a) => a.action === "consent.invalidate")).toHaveLength(2);
    expect(audits.find((a) => a.action === "consent_dispute.reported")).toMatchObject({ entityId: result.disputeId, actorType: "system", ip: meta.ip });

    // Reported twice: nothing more is written.
    const before = await eventCount();
    expect(await reportDispute(t.db, token, meta)).toMatchObject({ status: "already_reported", disputeId: result.disputeId });
    expect(await eventCount()).toBe(before);
    expect(await disputeRequest(t.db, token)).toMatchObject({ alreadyReported: true });

    // Supervisors see it (and count it); agents do not.
    const open = await openConsentDisputes(t.db, supervisor);
    expect(open.map((d) => d.id)).toContain(result.disputeId);
    expect(open.find((d) => d.id === result.disputeId)).toMatchObject({ customerRef: "ACME-0007", agentEmail: "agent@demo.test" });
    expect(await openConsentDisputeCount(t.db, supervisor)).toBe(1);
    expect(await openConsentDisputeCount(t.db, agent)).toBe(0);
    await expect(openConsentDisputes(t.db, agent)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(closeConsentDispute(t.db, agent, { disputeId: result.disputeId, note: "not mine to close" })).rejects.toBeInstanceOf(ForbiddenError);

    expect(await verifyLedger(t.db, acme)).toMatchObject({ ok: true });

    await closeConsentDispute(t.db, supervisor, { disputeId: result.disputeId, note: "Recording shows a caller who failed to give the account holder's details; agent coached." });
    expect(await openConsentDisputeCount(t.db, supervisor)).toBe(0);
    const [closed] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.entityId, result.disputeId), eq(auditEvents.action, "consent_dispute.closed")));
    expect(closed).toMatchObject({ actorId: supervisor.id, reason: expect.stringContaining("agent coached") });
    await expect(closeConsentDispute(t.db, supervisor, { disputeId: result.disputeId, note: "again" })).rejects.toBeInstanceOf(ConflictError);
  });

  it("refuses an expired or altered dispute link", async () => {
    const gwen = await customerByRef("ACME-0005");
    const call = await startCall(t.db, agent, { customerId: gwen.id });
    await capture(call, "marketing", "phone", "grant");
    await end(call);
    const token = /\/consent\/dispute\/([A-Za-z0-9_-]+)/.exec(unseal((await receiptsOf(call))[0]!.body!))![1]!;
    const late = await reportDispute(t.db, token, meta, new Date(Date.now() + 31 * 86_400_000)).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(LinkError);
    expect((late as LinkError).reason).toBe("expired");
    const altered = token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA");
    await expect(disputeRequest(t.db, altered)).rejects.toBeInstanceOf(LinkError);
    expect(await check("ACME-0005", "marketing", "phone")).toMatchObject({ allowed: true });
  });
});
