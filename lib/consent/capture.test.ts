import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, consentEvents, consentEvidence, customers, notices, type Customer } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor, type StaffActor } from "@/lib/actor";
import { NotFoundError, ValidationError } from "@/lib/errors";
import { VerificationRequiredError, checkKnowledge } from "@/lib/identity/verification";
import { endCall, startCall } from "@/lib/interactions/interactions";
import { callConsentSchema, recordCallConsent, recordContactRevocation, recordMarketingObjection, revocationSchema } from "./capture";
import { createPurpose, publishNotice } from "./catalogue";
import { checkConsent } from "./check";
import { consentPanel } from "./panel";
import { verifyLedger } from "./verify";

/** Every in-call capture, against a real migrated database with the demo seeded. */
describe("consent captured on a call", () => {
  let t: TestDatabase;
  let agent: StaffActor;
  let acme: string;
  let globex: string;

  const customerByRef = async (tenantId: string, ref: string): Promise<Customer> => {
    const [c] = await t.db.select().from(customers).where(and(eq(customers.tenantId, tenantId), eq(customers.ref, ref)));
    return c!;
  };
  const scriptFor = async (tenantId: string, purpose: string) => {
    const [n] = await t.db.select().from(notices).where(and(eq(notices.tenantId, tenantId), eq(notices.kind, "script"), sql`${purpose} = any(${notices.purposeKeys})`));
    return n!.id;
  };
  const webNoticeFor = async (tenantId: string, purpose: string) => {
    const [n] = await t.db.select().from(notices).where(and(eq(notices.tenantId, tenantId), eq(notices.kind, "web"), sql`${purpose} = any(${notices.purposeKeys})`));
    return n!.id;
  };
  /** A call with the customer; verified by date of birth (basic) unless told otherwise. */
  const callWith = async (customer: Customer, { verified = true, recordingRef }: { verified?: boolean; recordingRef?: string } = {}) => {
    const call = await startCall(t.db, agent, { customerId: customer.id, recordingRef });
    const inCall = { interactionId: call.id, customerId: customer.id };
    if (verified) await checkKnowledge(t.db, agent, { ...inCall, kind: "date_of_birth", answer: customer.dateOfBirth! });
    return { call, inCall, end: () => endCall(t.db, agent, { interactionId: call.id, disposition: "resolved", summary: "done" }) };
  };
  const form = (values: Record<string, unknown>) => callConsentSchema.parse(values);
  const check = (tenantId: string, ref: string, purpose: string, channel: "email" | "sms" | "phone" | "post" | "in_app", at?: Date) =>
    checkConsent(t.db, tenantId, { customer: ref, purpose, channel, at });
  const eventsOf = (customer: Customer) => t.db.select().from(consentEvents).where(and(eq(consentEvents.tenantId, customer.tenantId), eq(consentEvents.customerId, customer.id))).orderBy(consentEvents.chainSeq);

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    agent = await signedInStaff(t.db, "agent@demo.test");
    acme = await tenantIdByKey(t.db, "acme");
    globex = await tenantIdByKey(t.db, "globex");
  });
  afterAll(() => t.close());

  it("A1: the grid starts unset for a customer with no choices, and no answer means nothing is stored", async () => {
    const raj = await customerByRef(acme, "ACME-0008");
    const panel = await consentPanel(t.db, agent, raj);
    const cells = panel.purposes.flatMap((p) => p.cells);
    expect(cells.length).toBeGreaterThan(5);
    expect(cells.every((c) => c.reason === "no_record" && !c.allowed)).toBe(true);
    const { inCall, end } = await callWith(raj, { recordingRef: "REC-1" });
    const noAnswer = callConsentSchema.safeParse({ ...inCall, purpose: "marketing", channel: "sms", noticeId: await scriptFor(acme, "marketing") });
    expect(noAnswer.success).toBe(false);
    expect(noAnswer.error!.issues.map((i) => i.path.join("."))).toEqual(["decision"]);
    expect(await eventsOf(raj)).toHaveLength(0);
    expect(await check(acme, "ACME-0008", "marketing", "sms")).toMatchObject({ allowed: false, reason: "no_record" });
    await end();
  });

  it("A2, A3, A5, A7: a verbal grant on a recorded call is for one purpose on one channel and cites the script read", async () => {
    const tomasz = await customerByRef(acme, "ACME-0010");
    const { call, inCall, end } = await callWith(tomasz, { recordingRef: "REC-2026-11-26-0042" });
    const script = await scriptFor(acme, "marketing");
    const captured = await recordCallConsent(t.db, agent, form({ ...inCall, purpose: "marketing", channel: "sms", decision: "grant", noticeId: script }));
    expect(captured).toMatchObject({ status: "granted", alreadyRecorded: false, awaitingConfirmation: false });

    const [event] = await t.db.select().from(consentEvents).where(eq(consentEvents.id, captured.eventId));
    expect(event).toMatchObject({ action: "grant", method: "verbal", noticeId: script, interactionId: call.id, recordingRef: "REC-2026-11-26-0042", capturedByType: "staff", capturedById: agent.id, channel: "sms" });
    expect(await check(acme, "ACME-0010", "marketing", "sms")).toMatchObject({ allowed: true, reason: "granted", eventId: captured.eventId });
    expect(await check(acme, "ACME-0010", "marketing", "email")).toMatchObject({ allowed: false, reason: "no_record" });
    expect(await check(acme, "ACME-0010", "marketing", "phone")).toMatchObject({ allowed: false, reason: "no_record" });
    expect(await check(acme, "ACME-0010", "profiling", "email")).toMatchObject({ allowed: false, reason: "no_record" });

    const [audit] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.entityId, captured.eventId), eq(auditEvents.action, "consent.grant")));
    expect(audit).toMatchObject({ interactionId: call.id, customerId: tomasz.id, after: { purpose: "marketing", channel: "sms", method: "verbal" } });
    await end();
  });

  it("A5: a grant without the script read, or citing a web notice or another purpose's script, is refused and stores nothing", async () => {
    const fiona = await customerByRef(acme, "ACME-0011");
    const { inCall, end } = await callWith(fiona, { recordingRef: "REC-3" });
    const attempt = (noticeId?: string) => recordCallConsent(t.db, agent, form({ ...inCall, purpose: "marketing", channel: "email", decision: "grant", noticeId }));
    for (const noticeId of [undefined, await webNoticeFor(acme, "marketing"), await scriptFor(acme, "profiling")]) {
      const error = await attempt(noticeId).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).fieldErrors.map((f) => f.path)).toEqual(["noticeId"]);
    }
    expect(await eventsOf(fiona)).toHaveLength(0);
    await end();
  });

  it("A7: on an unrecorded call a grant needs the customer's words and the agent's attestation, kept as erasable evidence", async () => {
    const gwen = await customerByRef(acme, "ACME-0005");
    const { inCall, end } = await callWith(gwen);
    const base = { ...inCall, purpose: "marketing", channel: "phone", decision: "grant", noticeId: await scriptFor(acme, "marketing") };
    const refused = await recordCallConsent(t.db, agent, form(base)).catch((e: unknown) => e);
    expect((refused as ValidationError).fieldErrors.map((f) => f.path).sort()).toEqual(["attested", "customerWords"]);
    expect((await eventsOf(gwen)).filter((e) => e.channel === "phone")).toHaveLength(0);

    const captured = await recordCallConsent(t.db, agent, form({ ...base, customerWords: "Yes, you can ring me about offers", attested: "on" }));
    const [event] = await t.db.select().from(consentEvents).where(eq(consentEvents.id, captured.eventId));
    expect(event!.recordingRef).toBeNull();
    expect(event!.evidenceHash).toMatch(/^[0-9a-f]{64}$/);
    const [evidence] = await t.db.select().from(consentEvidence).where(eq(consentEvidence.eventId, captured.eventId));
    expect(evidence!.evidence).toMatchObject({ customerWords: "Yes, you can ring me about offers", attestedBy: "agent@demo.test" });
    await end();
  });

  it("asks for a verified caller before a grant, but never before a refusal or a withdrawal (A10)", async () => {
    const peter = await customerByRef(acme, "ACME-0006");
    const { inCall, end } = await callWith(peter, { verified: false, recordingRef: "REC-4" });
    const grant = recordCallConsent(t.db, agent, form({ ...inCall, purpose: "marketing", channel: "email", decision: "grant", noticeId: await scriptFor(acme, "marketing") }));
    await expect(grant).rejects.toBeInstanceOf(VerificationRequiredError);
    const refusal = await recordCallConsent(t.db, agent, form({ ...inCall, purpose: "profiling", channel: "email", decision: "refuse" }));
    expect(refusal.status).toBe("refused");
    const withdrawal = await recordCallConsent(t.db, agent, form({ ...inCall, purpose: "marketing", channel: "sms", decision: "withdraw" }));
    expect(withdrawal.status).toBe("withdrawn");
    expect(await check(acme, "ACME-0006", "marketing", "sms")).toMatchObject({ allowed: false, reason: "withdrawn" });
    await end();
  });

  it("records a double submit once", async () => {
    const ann = await customerByRef(acme, "ACME-0001");
    const { inCall, end } = await callWith(ann, { recordingRef: "REC-5" });
    const input = form({ ...inCall, purpose: "profiling", channel: "in_app", decision: "grant", noticeId: await scriptFor(acme, "profiling") });
    const [first, second] = [await recordCallConsent(t.db, agent, input), await recordCallConsent(t.db, agent, input)];
    expect(second).toMatchObject({ eventId: first.eventId, alreadyRecorded: true });
    const inApp = (await eventsOf(ann)).filter((e) => e.channel === "in_app");
    expect(inApp).toHaveLength(1);
    await end();
  });

  it("B13: stop all marketing denies every marketing purpose on every channel with reason objected, and leaves other purposes alone", async () => {
    const siobhan = await customerByRef(acme, "ACME-0003"); // the demo gave her marketing by email
    const before = new Date();
    expect(await check(acme, "ACME-0003", "marketing", "email")).toMatchObject({ allowed: true });
    const { inCall, end } = await callWith(siobhan, { verified: false });
    const { recorded } = await recordMarketingObjection(t.db, agent, { ...inCall });
    expect(recorded).toBe(4); // marketing: email, sms, phone, post
    for (const channel of ["email", "sms", "phone", "post"] as const) {
      expect(await check(acme, "ACME-0003", "marketing", channel)).toMatchObject({ allowed: false, reason: "objected" });
    }
    expect(await check(acme, "ACME-0003", "profiling", "email")).toMatchObject({ reason: "no_record" });
    // History intact: asked about the moment before, the ledger still says granted (A11).
    expect(await check(acme, "ACME-0003", "marketing", "email", new Date(before.getTime() - 1))).toMatchObject({ allowed: true });
    expect((await recordMarketingObjection(t.db, agent, { ...inCall })).recorded).toBe(0);
    await end();
  });

  it("E4: a revocation in the customer's own words stops calls and texts for every purpose at once", async () => {
    const glxCustomer = await customerByRef(globex, "GLX-0004"); // the demo gave SMS and phone marketing in writing
    expect(await check(globex, "GLX-0004", "marketing", "sms")).toMatchObject({ allowed: true });
    const { inCall, end } = await callWith(glxCustomer, { verified: false });
    expect(revocationSchema.safeParse({ ...inCall, customerWords: "", channels: ["phone", "sms"] }).success).toBe(false);
    const { recorded } = await recordContactRevocation(t.db, agent, revocationSchema.parse({ ...inCall, customerWords: "Quit calling me, and no more texts", channels: ["phone", "sms"] }));
    expect(recorded).toBe(2);
    expect(await check(globex, "GLX-0004", "marketing", "sms")).toMatchObject({ allowed: false, reason: "withdrawn" });
    expect(await check(globex, "GLX-0004", "marketing", "phone")).toMatchObject({ allowed: false, reason: "withdrawn" });
    const [withdrawal] = (await eventsOf(glxCustomer)).filter((e) => e.action === "withdraw");
    const [evidence] = await t.db.select().from(consentEvidence).where(eq(consentEvidence.eventId, withdrawal!.id));
    expect(evidence!.evidence).toEqual({ customerWords: "Quit calling me, and no more texts" });
    await end();
  });

  it("A8: a special-category purpose needs the customer's own statement and counts only once confirmed", async () => {
    const admin = systemActor("test admin");
    await createPurpose(t.db, admin, acme, { key: "priority_services", name: "Priority Services Register", legalBasis: "consent", category: "health", specialCategory: true, channels: ["phone"] });
    await publishNotice(t.db, admin, acme, {
      purposeKeys: ["priority_services"],
      kind: "script",
      language: "en",
      text: "Acme Energy, the controller, would like to record your health condition for the Priority Services Register, so engineers know. You can withdraw at any time.",
    });
    const mohammed = await customerByRef(acme, "ACME-0007");
    const { inCall, end } = await callWith(mohammed, { recordingRef: "REC-6" });
    const base = { ...inCall, purpose: "priority_services", channel: "phone", decision: "grant", noticeId: await scriptFor(acme, "priority_services") };
    const refused = await recordCallConsent(t.db, agent, form(base)).catch((e: unknown) => e);
    expect((refused as ValidationError).fieldErrors.map((f) => f.path)).toEqual(["customerWords"]);
    const captured = await recordCallConsent(t.db, agent, form({ ...base, customerWords: "Yes, put my heart condition on the register" }));
    expect(captured).toMatchObject({ status: "pending_confirmation", awaitingConfirmation: true });
    expect(await check(acme, "ACME-0007", "priority_services", "phone")).toMatchObject({ allowed: false, reason: "pending_confirmation" });
    await end();
  });

  it("double opt-in: an email grant on a globex call waits for the customer's confirmation", async () => {
    const priya = await customerByRef(globex, "GLX-0006");
    const { inCall, end } = await callWith(priya, { recordingRef: "REC-7" });
    const captured = await recordCallConsent(t.db, agent, form({ ...inCall, purpose: "marketing", channel: "email", decision: "grant", noticeId: await scriptFor(globex, "marketing") }));
    expect(captured.status).toBe("pending_confirmation");
    const sms = await recordCallConsent(t.db, agent, form({ ...inCall, purpose: "marketing", channel: "sms", decision: "grant", noticeId: await scriptFor(globex, "marketing") }));
    expect(sms.status).toBe("granted");
    await end();
  });

  it("refuses another tenant's call, a purpose that does not use the channel, and the ledger still verifies", async () => {
    const agentAcme = await signedInStaff(t.db, "agent.acme@demo.test");
    const olivia = await customerByRef(globex, "GLX-0007");
    const { inCall, end } = await callWith(olivia, { recordingRef: "REC-8" });
    await expect(recordCallConsent(t.db, agentAcme, form({ ...inCall, purpose: "marketing", channel: "sms", decision: "withdraw" }))).rejects.toBeInstanceOf(NotFoundError);
    const wrongChannel = await recordCallConsent(t.db, agent, form({ ...inCall, purpose: "profiling", channel: "sms", decision: "refuse" })).catch((e: unknown) => e);
    expect((wrongChannel as ValidationError).fieldErrors.map((f) => f.path)).toEqual(["channel"]);
    await end();
    expect(await verifyLedger(t.db, acme)).toMatchObject({ ok: true });
    expect(await verifyLedger(t.db, globex)).toMatchObject({ ok: true });
  });
});
