import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { DEMO_PASSWORD } from "@/db/demo-data";
import {
  auditEvents,
  customerSecurity,
  customers,
  interactions,
  outboxMessages,
  paymentMethods,
  tenants,
  verificationAlerts,
  verificationFactors,
  verifications,
  type Customer,
  type Interaction,
} from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor, type StaffActor } from "@/lib/actor";
import { customerAuditTrail, recordAudit } from "@/lib/audit/audit";
import { putCustomer } from "@/lib/customers/customers";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "@/lib/errors";
import { endCall, openCallWith, startCall } from "@/lib/interactions/interactions";
import { isSealed, unseal } from "@/lib/notifications/sealed";
import { createStaff } from "@/lib/staff/staff";
import { CODE_TTL_MS, LOCK_WINDOW_MS, VERIFICATION_TTL_MS } from "./policy";
import {
  VerificationRequiredError,
  checkKnowledge,
  checkKnowledgeSchema,
  customerVerificationLock,
  checkVerificationCode,
  closeAlertSchema,
  closeVerificationAlert,
  effectiveLevel,
  openVerificationAlerts,
  requireVerification,
  sendCodeSchema,
  sendVerificationCode,
  verificationState,
  verifiedLevel,
  type VerificationLock,
} from "./verification";

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const NO_LOCK: VerificationLock = { lockedUntil: null, lastLockedAt: null };

/** Ann Smith (ACME-0001) as the demo seeds her. */
const ANN = {
  phone: "+447911123456",
  email: "ann.smith@example.com",
  dateOfBirth: "1984-03-12",
  postcode: "LS1 4AB",
  answer: "Hillside Primary",
};

describe("caller verification", () => {
  let t: TestDatabase;
  let agent: StaffActor; // acme and globex
  let agentAcme: StaffActor; // acme only: a colleague on the same tenant
  let agentGlobex: StaffActor; // globex only: another tenant
  let supervisor: StaffActor;
  let acmeId: string;
  let ann: Customer;

  async function customerByRef(tenantKey: string, ref: string): Promise<Customer> {
    const tenantId = await tenantIdByKey(t.db, tenantKey);
    const [row] = await t.db.select().from(customers).where(and(eq(customers.tenantId, tenantId), eq(customers.ref, ref)));
    return row!;
  }

  let twins = 0;
  /**
   * A new customer with Ann's details and security answer. Failures and codes now count per customer
   * for 24 hours, so each test that fails factors or sends codes has a caller of its own.
   */
  async function twinOfAnn(): Promise<Customer> {
    const original = await customerByRef("acme", "ACME-0001");
    const details = { name: original.name, email: original.email, phone: original.phone, address: original.address, dateOfBirth: original.dateOfBirth, language: original.language };
    const { customer } = await putCustomer(t.db, systemActor("test"), acmeId, `ACME-T${String(++twins).padStart(3, "0")}`, details);
    const [security] = await t.db.select().from(customerSecurity).where(and(eq(customerSecurity.tenantId, acmeId), eq(customerSecurity.customerId, original.id)));
    await t.db.insert(customerSecurity).values({ ...security!, customerId: customer.id });
    return customer;
  }

  /** A new call with the customer, ending the one the agent may still have open. */
  async function freshCall(actor: StaffActor, customer: Customer): Promise<Interaction> {
    const open = await openCallWith(t.db, actor, customer);
    if (open) await endCall(t.db, actor, { interactionId: open.id, disposition: "resolved", summary: "Done." });
    return startCall(t.db, actor, { customerId: customer.id });
  }

  /** Sends a code and reads it back the way the customer would: from the sealed outbox message. */
  async function sendCode(actor: StaffActor, interactionId: string, channel: "sms" | "email" = "sms", now?: Date) {
    const seen = new Set((await codeMessages(interactionId)).map((m) => m.id));
    const { destination } = await sendVerificationCode(t.db, actor, { interactionId, channel }, now);
    const fresh = (await codeMessages(interactionId)).filter((m) => !seen.has(m.id));
    expect(fresh).toHaveLength(1);
    const message = fresh[0]!;
    const code = /^(\d{6}) is your /.exec(unseal(message.body!))?.[1];
    if (!code) throw new Error("no code in the message");
    return { code, destination, message };
  }

  const codeMessages = (interactionId: string) =>
    t.db.select().from(outboxMessages).where(and(eq(outboxMessages.interactionId, interactionId), eq(outboxMessages.template, "verification_code")));
  const factorsOf = async (interactionId: string) => {
    const [v] = await t.db.select().from(verifications).where(eq(verifications.interactionId, interactionId));
    if (!v) return [];
    return t.db.select().from(verificationFactors).where(eq(verificationFactors.verificationId, v.id)).orderBy(verificationFactors.createdAt);
  };
  const verificationOf = async (interactionId: string) => (await t.db.select().from(verifications).where(eq(verifications.interactionId, interactionId)))[0];
  const auditOf = (interactionId: string) => t.db.select().from(auditEvents).where(eq(auditEvents.interactionId, interactionId)).orderBy(auditEvents.at);
  const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

  /** Every row of the table as PostgreSQL prints it: what a dump of the database would hold. */
  async function tableText(table: string): Promise<string> {
    const rows = await queryRows<{ row: string }>(t.db, sql`select t::text as row from ${sql.identifier(table)} t`);
    return rows.map((r) => r.row).join("\n");
  }

  /** The code as a whole token (not a run of digits inside a phone number, a uuid or a hash). */
  const asToken = (code: string) => new RegExp(`(?<![0-9a-f+])${code}(?![0-9a-f])`);

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    agent = await signedInStaff(t.db, "agent@demo.test");
    agentAcme = await signedInStaff(t.db, "agent.acme@demo.test");
    supervisor = await signedInStaff(t.db, "supervisor@demo.test");
    acmeId = await tenantIdByKey(t.db, "acme");
    const globexId = await tenantIdByKey(t.db, "globex");
    await createStaff(t.db, systemActor("test"), { email: "agent.globex@demo.test", name: "Gus Globex", role: "agent", password: DEMO_PASSWORD, tenantIds: [globexId] });
    agentGlobex = await signedInStaff(t.db, "agent.globex@demo.test");
    ann = await customerByRef("acme", "ACME-0001");
    expect(ann).toMatchObject({ phone: ANN.phone, email: ANN.email, dateOfBirth: ANN.dateOfBirth, address: { postcode: ANN.postcode } });
  });
  afterAll(() => t?.close());

  describe("one-time codes", () => {
    beforeEach(async () => {
      ann = await twinOfAnn();
    });

    it("go only to the phone on file, masked in the factor, the code sealed and stored only as a keyed hash", async () => {
      const call = await freshCall(agent, ann);
      // A destination the caller gives is not part of the input: the schema drops it, the domain ignores it.
      const typed = { interactionId: call.id, channel: "sms" as const, to: "+447400555222" };
      expect(sendCodeSchema.parse(typed)).toEqual({ interactionId: call.id, channel: "sms" });
      const seen = await codeMessages(call.id);
      expect(seen).toEqual([]);
      const { destination } = await sendVerificationCode(t.db, agent, typed);
      expect(destination).toBe("•••• •••456");

      const [message] = await codeMessages(call.id);
      expect(message).toMatchObject({ tenantId: acmeId, channel: "sms", recipient: ANN.phone, sensitive: true, subject: null, customerId: ann.id, status: "pending" });
      expect(isSealed(message!.body!)).toBe(true);
      const clear = unseal(message!.body!);
      const code = /^(\d{6}) is your Acme Energy verification code\./.exec(clear)?.[1];
      expect(code).toMatch(/^\d{6}$/);
      expect(message!.body).not.toContain(code!);

      const [factor] = await factorsOf(call.id);
      expect(factor).toMatchObject({ kind: "otp_sms", outcome: "pending", destination: "•••• •••456", codeTries: 0, answeredAt: null });
      expect(factor!.codeHash).toMatch(/^[A-Za-z0-9_-]+:[0-9a-f]{64}$/); // the key id, then the hash
      expect(factor!.codeExpiresAt!.getTime() - factor!.createdAt.getTime()).toBe(CODE_TTL_MS);

      // The code in clear would match this pattern, and nowhere in the database does.
      expect(JSON.stringify(clear)).toMatch(asToken(code!));
      for (const table of ["outbox_messages", "verification_factors", "verifications", "audit_events"]) {
        expect(await tableText(table), table).not.toMatch(asToken(code!));
      }
      const events = await auditOf(call.id);
      expect(events.find((e) => e.action === "verification.code_sent")).toMatchObject({ actorId: agent.id, customerId: ann.id, after: { channel: "sms", destination: "•••• •••456" } });
      expect(JSON.stringify(events)).not.toContain("7911123456");
    });

    it("go by email to the address on file, the subject free of the code", async () => {
      const call = await freshCall(agent, ann);
      const { code, destination, message } = await sendCode(agent, call.id, "email");
      expect(destination).toBe("a•••@e•••.com");
      expect(message).toMatchObject({ channel: "email", recipient: ANN.email, sensitive: true, subject: "Your Acme Energy verification code" });
      expect(message.subject).not.toContain(code);
      expect((await factorsOf(call.id))[0]).toMatchObject({ kind: "otp_email", destination: "a•••@e•••.com" });
    });

    it("cannot go to a customer with no phone on file, and nothing is written", async () => {
      const chloe = await customerByRef("acme", "ACME-0012");
      expect(chloe.phone).toBeNull();
      const call = await freshCall(agent, chloe);
      const error = await sendVerificationCode(t.db, agent, { interactionId: call.id, channel: "sms" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).fieldErrors.map((e) => e.path)).toEqual(["channel"]);
      expect(await codeMessages(call.id)).toEqual([]);
      expect(await factorsOf(call.id)).toEqual([]);
    });

    it("are accepted once: the right code gives basic, the same code again is refused", async () => {
      const call = await freshCall(agent, ann);
      const { code } = await sendCode(agent, call.id);
      expect(await checkVerificationCode(t.db, agent, { interactionId: call.id, code })).toEqual({ match: true, level: "basic", locked: false, attemptsLeft: 3 });
      expect((await factorsOf(call.id))[0]).toMatchObject({ outcome: "match", codeTries: 1 });
      expect(await verificationOf(call.id)).toMatchObject({ level: "basic", failedFactors: 0, lockedAt: null });

      await expect(checkVerificationCode(t.db, agent, { interactionId: call.id, code })).rejects.toThrow(ConflictError);
      await expect(checkVerificationCode(t.db, agent, { interactionId: call.id, code })).rejects.toThrow(/No code is waiting/);
      expect(await factorsOf(call.id)).toHaveLength(1);
      expect((await verificationState(t.db, agent, call.id)).level).toBe("basic");
    });

    it("are accepted once even when the same code is checked twice at the same moment (a double click)", async () => {
      const call = await freshCall(agent, ann);
      const { code } = await sendCode(agent, call.id);
      // On PostgreSQL these run on separate connections at once; the row lock in the check keeps them apart.
      const results = await Promise.allSettled([0, 1, 2].map(() => checkVerificationCode(t.db, agent, { interactionId: call.id, code })));
      const accepted = results.filter((r) => r.status === "fulfilled");
      expect(accepted).toHaveLength(1);
      expect(accepted[0]).toMatchObject({ value: { match: true, level: "basic" } });
      for (const r of results.filter((r) => r.status === "rejected")) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
      expect((await auditOf(call.id)).filter((e) => e.action === "verification.factor_matched")).toHaveLength(1);
    });

    it("are replaced by a newer code: only the newest can be used; spaces in the code do not matter", async () => {
      const call = await freshCall(agent, ann);
      const first = await sendCode(agent, call.id);
      const second = await sendCode(agent, call.id, "email");
      const [oldFactor, newFactor] = await factorsOf(call.id);
      expect(oldFactor).toMatchObject({ kind: "otp_sms", outcome: "expired" });
      expect(newFactor).toMatchObject({ kind: "otp_email", outcome: "pending" });
      if (first.code !== second.code) {
        expect(await checkVerificationCode(t.db, agent, { interactionId: call.id, code: first.code })).toMatchObject({ match: false, level: "none", attemptsLeft: 2 });
      }
      const spaced = `${second.code.slice(0, 3)} ${second.code.slice(3)}`;
      expect(await checkVerificationCode(t.db, agent, { interactionId: call.id, code: spaced })).toMatchObject({ match: true, level: "basic" });
    });

    it("expire 10 minutes after sending: a code checked 10 min 1 s later is rejected and the level stays none", async () => {
      const call = await freshCall(agent, ann);
      const sentAt = new Date();
      const { code } = await sendCode(agent, call.id, "sms", sentAt);
      const late = new Date(sentAt.getTime() + CODE_TTL_MS + 1000);
      expect(await checkVerificationCode(t.db, agent, { interactionId: call.id, code }, late)).toEqual({
        match: false,
        expired: true,
        level: "none",
        locked: false,
        attemptsLeft: 3,
      });
      expect((await factorsOf(call.id))[0]).toMatchObject({ outcome: "expired" });
      expect(await verificationOf(call.id)).toMatchObject({ level: "none", levelReachedAt: null });
      expect(await verificationState(t.db, agent, call.id, late)).toMatchObject({ level: "none", codePending: false });
      expect((await auditOf(call.id)).map((e) => e.action)).toContain("verification.code_expired");
      // Nor can it be used after that.
      await expect(checkVerificationCode(t.db, agent, { interactionId: call.id, code }, late)).rejects.toThrow(/No code is waiting/);

      // One second before it expires, a new code is still good.
      const resentAt = new Date(late.getTime() + MINUTE);
      const again = await sendCode(agent, call.id, "sms", resentAt);
      expect((await verificationState(t.db, agent, call.id, resentAt)).codePending).toBe(true);
      const justInTime = new Date(resentAt.getTime() + CODE_TTL_MS - 1000);
      expect(await checkVerificationCode(t.db, agent, { interactionId: call.id, code: again.code }, justInTime)).toMatchObject({ match: true, level: "basic" });
    });
  });

  describe("three failed attempts", () => {
    let call: Interaction;
    let alertId: string;
    let rightCode: string;
    let lockedAt: Date;

    it("lock verification for the customer, raise an alert and audit each failure", async () => {
      ann = await twinOfAnn();
      call = await freshCall(agent, ann);
      const { code } = await sendCode(agent, call.id);
      rightCode = code;
      const wrong = otherCode(code);
      expect(await checkVerificationCode(t.db, agent, { interactionId: call.id, code: wrong })).toEqual({ match: false, level: "none", locked: false, attemptsLeft: 2 });
      expect(await checkVerificationCode(t.db, agent, { interactionId: call.id, code: wrong })).toEqual({ match: false, level: "none", locked: false, attemptsLeft: 1 });
      lockedAt = new Date();
      const third = await checkVerificationCode(t.db, agent, { interactionId: call.id, code: wrong }, lockedAt);
      expect(third).toEqual({ match: false, level: "none", locked: true, attemptsLeft: 0, lockedUntil: new Date(lockedAt.getTime() + LOCK_WINDOW_MS) });

      expect((await factorsOf(call.id))[0]).toMatchObject({ outcome: "no_match", codeTries: 3 });
      const verification = await verificationOf(call.id);
      expect(verification).toMatchObject({ failedFactors: 3, level: "none" });
      expect(verification!.lockedAt).toBeInstanceOf(Date);

      const alerts = await t.db.select().from(verificationAlerts).where(eq(verificationAlerts.interactionId, call.id));
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ tenantId: acmeId, verificationId: verification!.id, customerId: ann.id, agentId: agent.id, closedAt: null });
      alertId = alerts[0]!.id;

      expect(alerts[0]!.createdAt).toEqual(lockedAt);
      const actions = (await auditOf(call.id)).map((e) => e.action);
      expect(actions.filter((a) => a === "verification.factor_failed")).toHaveLength(3);
      expect(actions.filter((a) => a === "verification.locked")).toHaveLength(1);
      const failed = (await auditOf(call.id)).filter((e) => e.action === "verification.factor_failed");
      expect(failed.map((e) => e.outcome)).toEqual(["failure", "failure", "failure"]);
      expect(failed.map((e) => (e.after as { failedFactors: number }).failedFactors)).toEqual([1, 2, 3]);
    });

    it("refuse further codes and checks in that call, the right code included, each refusal audited", async () => {
      const before = await factorsOf(call.id);
      const until = "Verification locked for this customer after 3 failed attempts: it lifts at ";
      const error = await sendVerificationCode(t.db, agent, { interactionId: call.id, channel: "sms" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect((error as Error).message).toBe(`${until}${new Date(lockedAt.getTime() + LOCK_WINDOW_MS).toISOString().replace("T", " ").slice(0, 16)} UTC, or when a supervisor closes the alert.`);
      await expect(checkVerificationCode(t.db, agent, { interactionId: call.id, code: rightCode })).rejects.toThrow(until);
      await expect(checkKnowledge(t.db, agent, { interactionId: call.id, kind: "date_of_birth", answer: ANN.dateOfBirth })).rejects.toThrow(until);
      expect(await factorsOf(call.id)).toEqual(before);
      expect((await codeMessages(call.id)).length).toBe(1);
      expect(await verificationState(t.db, agent, call.id)).toMatchObject({ level: "none", locked: true, lockedUntil: new Date(lockedAt.getTime() + LOCK_WINDOW_MS), attemptsLeft: 0 });
      await expect(requireVerification(t.db, agent, call.id, ann.id, "reveal_personal_data")).rejects.toThrow(VerificationRequiredError);
      const refused = (await auditOf(call.id)).filter((e) => e.action === "verification.refused");
      expect(refused.map((e) => [e.outcome, e.after])).toEqual([
        ["failure", { channel: "sms", refused: "locked" }],
        ["failure", { factor: "code", refused: "locked" }],
        ["failure", { factor: "date_of_birth", refused: "locked" }],
      ]);
      expect(refused[0]!.reason).toContain(until);
    });

    it("show the alert to supervisors, not to agents", async () => {
      await expect(openVerificationAlerts(t.db, agent)).rejects.toThrow(ForbiddenError);
      const open = await openVerificationAlerts(t.db, supervisor);
      expect(open.find((a) => a.id === alertId)).toMatchObject({
        interactionId: call.id,
        customerName: "Ann Smith",
        customerRef: ann.ref,
        agentEmail: "agent@demo.test",
        reason: "3 failed verification attempts within 24 hours",
        locksUntil: new Date(lockedAt.getTime() + LOCK_WINDOW_MS),
      });
    });

    it("close the alert only with a note, by a supervisor, audited", async () => {
      const noNote = closeAlertSchema.safeParse({ alertId, note: "  " });
      expect(noNote.success).toBe(false);
      expect(noNote.error!.issues.map((i) => i.path.join("."))).toEqual(["note"]);
      await expect(closeVerificationAlert(t.db, agent, { alertId, note: "Looked into it." })).rejects.toThrow(ForbiddenError);

      const note = "Called the customer back on the number on file; it was them, mistyped.";
      // The domain asks for the note too, whatever door the input came through; nothing is closed.
      const domainNoNote = await closeVerificationAlert(t.db, supervisor, { alertId, note: " " }).catch((e: unknown) => e);
      expect(domainNoNote).toBeInstanceOf(ValidationError);
      expect((domainNoNote as ValidationError).fieldErrors).toEqual([{ path: "note", message: "Write what you found and did" }]);
      expect((await customerVerificationLock(t.db, supervisor, ann)).lockedUntil).toEqual(new Date(lockedAt.getTime() + LOCK_WINDOW_MS));

      await closeVerificationAlert(t.db, supervisor, closeAlertSchema.parse({ alertId, note }));
      const [alert] = await t.db.select().from(verificationAlerts).where(eq(verificationAlerts.id, alertId));
      expect(alert).toMatchObject({ closedBy: supervisor.id, closingNote: note });
      expect(alert!.closedAt).toBeInstanceOf(Date);
      expect((await openVerificationAlerts(t.db, supervisor)).map((a) => a.id)).not.toContain(alertId);
      const [event] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.action, "verification_alert.closed"), eq(auditEvents.entityId, alertId)));
      expect(event).toMatchObject({ actorId: supervisor.id, tenantId: acmeId, customerId: ann.id, interactionId: call.id, reason: note, after: { liftedLock: true } });
      await expect(closeVerificationAlert(t.db, supervisor, { alertId, note })).rejects.toThrow(ConflictError);
    });
  });

  describe("knowledge checks", () => {
    let call: Interaction;
    const secrets = [ANN.dateOfBirth, "12/03/1984", ANN.postcode, "LS14AB", ANN.phone, "7911123456", "07911", ANN.email, "Hillside", "hillside"];

    it("compare the date of birth in any common format, and answer match / no match only", async () => {
      ann = await twinOfAnn();
      call = await freshCall(agent, ann);
      const right = await checkKnowledge(t.db, agent, { interactionId: call.id, kind: "date_of_birth", answer: "12/03/1984" });
      expect(Object.keys(right).sort()).toEqual(["attemptsLeft", "level", "locked", "match"]);
      expect(right).toEqual({ match: true, level: "basic", locked: false, attemptsLeft: 3 });

      const wrong = await checkKnowledge(t.db, agent, { interactionId: call.id, kind: "date_of_birth", answer: "13/03/1984" });
      expect(Object.keys(wrong).sort()).toEqual(["attemptsLeft", "level", "locked", "match"]);
      expect(wrong).toEqual({ match: false, level: "basic", locked: false, attemptsLeft: 2 });
      for (const secret of secrets) expect(JSON.stringify([right, wrong])).not.toContain(secret);

      const factors = await factorsOf(call.id);
      expect(factors.map((f) => [f.kind, f.outcome, f.codeHash, f.destination])).toEqual([
        ["date_of_birth", "match", null, null],
        ["date_of_birth", "no_match", null, null],
      ]);
      // Neither the stored date nor the wrong one typed is kept with the factor or in the audit.
      for (const table of ["verification_factors", "audit_events"]) {
        const text = await tableText(table);
        expect(text, table).not.toContain("1984-03-13");
        expect(text, table).not.toContain("13/03/1984");
      }
      // What the events say (not their random ids and times, which may hold any digits).
      const said = (await auditOf(call.id)).map(({ before, after, reason }) => ({ before, after, reason }));
      expect(JSON.stringify(said)).not.toContain("1984");
    });

    it("match the postcode and the security answer regardless of case and punctuation", async () => {
      expect(await checkKnowledge(t.db, agent, { interactionId: call.id, kind: "postcode", answer: " ls1-4ab " })).toMatchObject({ match: true });
      expect(await checkKnowledge(t.db, agent, { interactionId: call.id, kind: "security_question", answer: "hillside primary!" })).toMatchObject({ match: true });
      // Two more failures would lock; one is enough to prove a near-miss is refused.
      expect(await checkKnowledge(t.db, agent, { interactionId: call.id, kind: "security_question", answer: "Hillside Secondary" })).toMatchObject({ match: false, attemptsLeft: 1 });
    });

    it("keep the security answer only as a scrypt hash", async () => {
      const [row] = await t.db.select().from(customerSecurity).where(and(eq(customerSecurity.tenantId, acmeId), eq(customerSecurity.customerId, ann.id)));
      expect(row!.securityQuestion).toBe("What was the name of your first school?");
      expect(row!.securityAnswerHash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/);
      expect((await tableText("customer_security")).toLowerCase()).not.toContain("hillside");
      expect((await tableText("audit_events")).toLowerCase()).not.toContain("hillside");
    });

    it("show the panel what can be checked, never a stored value", async () => {
      const state = await verificationState(t.db, agent, call.id);
      const text = JSON.stringify(state);
      for (const secret of secrets) expect(text).not.toContain(secret);
      // No account reference (the agent sees it), no payment digits (Ann has no payment method).
      expect(state.availableChecks.map((c) => c.kind)).toEqual(["date_of_birth", "postcode", "security_question"]);
      expect(state.availableChecks.find((c) => c.kind === "security_question")?.prompt).toBe("What was the name of your first school?");
      expect(state.codeDestinations).toEqual([
        { channel: "sms", to: "•••• •••456" },
        { channel: "email", to: "a•••@e•••.com" },
      ]);
      expect(state.factors.map((f) => f.outcome)).toEqual(["match", "no_match", "match", "match", "no_match"]);
      expect(state).toMatchObject({ locked: false, lockedUntil: null, attemptsLeft: 1 });
    });

    it("refuse a check the customer has nothing on file for, recording no factor", async () => {
      const chloe = await customerByRef("acme", "ACME-0012");
      const chloeCall = await freshCall(agent, chloe);
      const error = await checkKnowledge(t.db, agent, { interactionId: chloeCall.id, kind: "date_of_birth", answer: "1990-01-01" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).fieldErrors.map((e) => e.path)).toEqual(["kind"]);
      expect(await factorsOf(chloeCall.id)).toEqual([]);
      expect((await verificationState(t.db, agent, chloeCall.id)).availableChecks.map((c) => c.kind)).not.toContain("date_of_birth");
    });
  });

  describe("a lock per customer", () => {
    const wrongBirthday = (actor: StaffActor, call: Interaction, at: Date) =>
      checkKnowledge(t.db, actor, { interactionId: call.id, kind: "date_of_birth", answer: "01/01/1901" }, at);
    const rightBirthday = (actor: StaffActor, call: Interaction, at: Date) =>
      checkKnowledge(t.db, actor, { interactionId: call.id, kind: "date_of_birth", answer: ANN.dateOfBirth }, at);

    it("counts failures across calls and agents, holds in a new call, and lifts 24 hours after it locked", async () => {
      const caller = await twinOfAnn();
      const lockedAt = new Date();
      const earlier = new Date(lockedAt.getTime() - HOUR);
      const first = await freshCall(agent, caller);
      expect(await wrongBirthday(agent, first, earlier)).toMatchObject({ locked: false, attemptsLeft: 2 });
      expect(await wrongBirthday(agent, first, earlier)).toMatchObject({ locked: false, attemptsLeft: 1 });
      await endCall(t.db, agent, { interactionId: first.id, disposition: "wrong_caller", summary: "Could not verify." });

      // Another agent, another call: the customer's failures are still there, and the third locks.
      const second = await freshCall(agentAcme, caller);
      expect(await verificationState(t.db, agentAcme, second.id, lockedAt)).toMatchObject({ locked: false, attemptsLeft: 1 });
      const lockedUntil = new Date(lockedAt.getTime() + LOCK_WINDOW_MS);
      expect(await wrongBirthday(agentAcme, second, lockedAt)).toEqual({ match: false, level: "none", locked: true, attemptsLeft: 0, lockedUntil });
      const [alert] = await t.db.select().from(verificationAlerts).where(eq(verificationAlerts.customerId, caller.id));
      expect(alert).toMatchObject({ interactionId: second.id, agentId: agentAcme.id, createdAt: lockedAt, closedAt: null });
      await endCall(t.db, agentAcme, { interactionId: second.id, disposition: "wrong_caller", summary: "Locked." });

      // A new call by the first agent: locked, the right answer and a code refused, nothing written.
      const third = await freshCall(agent, caller);
      const soon = new Date(lockedAt.getTime() + MINUTE);
      expect(await verificationState(t.db, agent, third.id, soon)).toMatchObject({ level: "none", locked: true, lockedUntil, attemptsLeft: 0 });
      expect(await customerVerificationLock(t.db, agent, caller, soon)).toEqual({ lockedUntil, lastLockedAt: lockedAt });
      await expect(rightBirthday(agent, third, soon)).rejects.toThrow("Verification locked for this customer");
      await expect(sendVerificationCode(t.db, agent, { interactionId: third.id, channel: "sms" }, soon)).rejects.toThrow("Verification locked for this customer");
      expect(await factorsOf(third.id)).toEqual([]);
      expect(await codeMessages(third.id)).toEqual([]);
      // An agent of another tenant learns nothing about the customer's lock.
      await expect(customerVerificationLock(t.db, agentGlobex, caller, soon)).rejects.toThrow(NotFoundError);

      // Still locked a second before 24 hours; lifted at 24 hours, with a fresh count.
      const justBefore = new Date(lockedUntil.getTime() - 1000);
      await expect(rightBirthday(agent, third, justBefore)).rejects.toThrow("Verification locked for this customer");
      expect(await verificationState(t.db, agent, third.id, lockedUntil)).toMatchObject({ locked: false, lockedUntil: null, attemptsLeft: 3 });
      expect(await rightBirthday(agent, third, lockedUntil)).toEqual({ match: true, level: "basic", locked: false, attemptsLeft: 3 });
      // The alert stays open for review after the lock has lifted by itself.
      expect((await openVerificationAlerts(t.db, supervisor, lockedUntil)).find((a) => a.id === alert!.id)).toMatchObject({ locksUntil: null });
    });

    it("lifts when a supervisor closes the alert; a level reached before the lock does not come back", async () => {
      const caller = await twinOfAnn();
      const at = (minutes: number) => new Date(Date.now() + minutes * MINUTE);
      const verified = await freshCall(agent, caller);
      expect(await rightBirthday(agent, verified, at(0))).toMatchObject({ match: true, level: "basic" });
      const other = await freshCall(agentAcme, caller);
      for (const left of [2, 1]) expect(await wrongBirthday(agentAcme, other, at(1))).toMatchObject({ attemptsLeft: left });
      expect(await wrongBirthday(agentAcme, other, at(1))).toMatchObject({ locked: true });

      // The other line's caller loses their level while the customer is locked.
      await expect(requireVerification(t.db, agent, verified.id, caller.id, "reveal_personal_data", at(2))).rejects.toThrow(VerificationRequiredError);
      expect(await verifiedLevel(t.db, verified, at(2))).toBe("none");

      const [alert] = await t.db.select().from(verificationAlerts).where(eq(verificationAlerts.customerId, caller.id));
      await closeVerificationAlert(t.db, supervisor, { alertId: alert!.id, note: "Reviewed the recording: the customer, flustered." }, at(3));
      expect(await verificationState(t.db, agent, verified.id, at(4))).toMatchObject({ level: "none", locked: false, attemptsLeft: 3 });
      // Failures before the lock are not counted again; a new match gives a level again.
      expect(await wrongBirthday(agentAcme, other, at(5))).toMatchObject({ locked: false, attemptsLeft: 2 });
      expect(await rightBirthday(agent, verified, at(6))).toMatchObject({ match: true, level: "basic", attemptsLeft: 2 });
      expect((await requireVerification(t.db, agent, verified.id, caller.id, "reveal_personal_data", at(7))).level).toBe("basic");
    });

    it("locks once when two agents fail at the same moment", async () => {
      const caller = await twinOfAnn();
      const now = new Date();
      const one = await freshCall(agent, caller);
      const two = await freshCall(agentAcme, caller);
      await wrongBirthday(agent, one, now);
      // On PostgreSQL these run at once on separate connections; the customer's row lock counts them in turn.
      const outcomes = await Promise.all([wrongBirthday(agent, one, now), wrongBirthday(agentAcme, two, now)]);
      expect(outcomes.map((o) => o.locked).sort()).toEqual([false, true]);
      expect(await t.db.select().from(verificationAlerts).where(eq(verificationAlerts.customerId, caller.id))).toHaveLength(1);
    });
  });

  describe("caps on one-time codes", () => {
    it("allow 3 codes in a call; the fourth is refused with the reason, audited, and nothing is sent", async () => {
      ann = await twinOfAnn();
      const call = await freshCall(agent, ann);
      for (let i = 0; i < 3; i++) await sendCode(agent, call.id, i === 1 ? "email" : "sms");
      const error = await sendVerificationCode(t.db, agent, { interactionId: call.id, channel: "sms" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect((error as Error).message).toBe("3 codes have been sent in this call, the most one call allows: check the last code, use a knowledge check, or call the customer back.");
      expect(await codeMessages(call.id)).toHaveLength(3);
      expect(await factorsOf(call.id)).toHaveLength(3);
      const refused = (await auditOf(call.id)).filter((e) => e.action === "verification.refused");
      expect(refused).toMatchObject([{ outcome: "failure", after: { channel: "sms", refused: "codes_per_call" }, reason: (error as Error).message }]);
      // The last code still works.
      expect((await verificationState(t.db, agent, call.id)).codePending).toBe(true);
    });

    it("allow 5 codes to a customer in an hour, across calls; the sixth says when the next can go", async () => {
      ann = await twinOfAnn();
      const start = new Date();
      const at = (minutes: number) => new Date(start.getTime() + minutes * MINUTE);
      const first = await freshCall(agent, ann);
      for (const minute of [0, 1, 2]) await sendCode(agent, first.id, "sms", at(minute));
      const second = await freshCall(agentAcme, ann);
      for (const minute of [3, 4]) await sendCode(agentAcme, second.id, "email", at(minute));
      const error = await sendVerificationCode(t.db, agentAcme, { interactionId: second.id, channel: "sms" }, at(5)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      const next = at(60).toISOString().replace("T", " ").slice(0, 16);
      expect((error as Error).message).toBe(`5 codes have been sent to this customer in the last hour, the most allowed: the next can be sent at ${next} UTC. Use a knowledge check meanwhile.`);
      expect(await codeMessages(second.id)).toHaveLength(2);
      expect((await auditOf(second.id)).filter((e) => e.action === "verification.refused").map((e) => e.after)).toEqual([{ channel: "sms", refused: "codes_per_customer" }]);
      // An hour after the first code, one more may go.
      await expect(sendVerificationCode(t.db, agentAcme, { interactionId: second.id, channel: "sms" }, new Date(at(60).getTime() - 1000))).rejects.toThrow(/5 codes/);
      const { code } = await sendCode(agentAcme, second.id, "sms", at(60));
      expect(await checkVerificationCode(t.db, agentAcme, { interactionId: second.id, code }, at(61))).toMatchObject({ match: true, level: "basic" });
    });
  });

  describe("the last 4 digits of a payment method on file", () => {
    let caller: Customer;
    let call: Interaction;
    const method = (last4: string, kind: "card" | "bank_account", removedAt: Date | null = null) => ({
      tenantId: acmeId,
      customerId: caller.id,
      kind,
      vaultToken: `tok_test_${last4}`,
      fingerprint: `fp_test_${last4}`,
      brand: kind === "card" ? "visa" : "iban",
      last4,
      removedAt,
    });

    it("are not offered to a customer with no payment method, nor accepted", async () => {
      caller = await twinOfAnn();
      call = await freshCall(agent, caller);
      expect((await verificationState(t.db, agent, call.id)).availableChecks.map((c) => c.kind)).not.toContain("payment_last4");
      const error = await checkKnowledge(t.db, agent, { interactionId: call.id, kind: "payment_last4", answer: "4242" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).fieldErrors.map((e) => e.path)).toEqual(["kind"]);
      expect(await factorsOf(call.id)).toEqual([]);
    });

    it("match any current card or bank account, not a removed one, compared on the server", async () => {
      await t.db.insert(paymentMethods).values([method("4242", "card"), method("5432", "bank_account"), method("1111", "card", new Date())]);
      const state = await verificationState(t.db, agent, call.id);
      expect(state.availableChecks.find((c) => c.kind === "payment_last4")).toEqual({ kind: "payment_last4", label: "Last 4 of a payment method on file" });
      expect(JSON.stringify(state)).not.toMatch(/4242|5432/);
      const check = (answer: string) => checkKnowledge(t.db, agent, { interactionId: call.id, kind: "payment_last4", answer });
      expect(await check("1111")).toMatchObject({ match: false, attemptsLeft: 2 });
      expect(await check("54 32")).toEqual({ match: true, level: "basic", locked: false, attemptsLeft: 2 });
      expect(await check("4242")).toMatchObject({ match: true });
      expect((await factorsOf(call.id)).map((f) => [f.kind, f.outcome])).toEqual([
        ["payment_last4", "no_match"],
        ["payment_last4", "match"],
        ["payment_last4", "match"],
      ]);
      // With a code, it makes strong verification.
      const { code } = await sendCode(agent, call.id);
      expect(await checkVerificationCode(t.db, agent, { interactionId: call.id, code })).toMatchObject({ level: "strong" });
    });

    it("take exactly 4 digits, refuse a whole card number, and no longer accept the account reference", () => {
      const parse = (kind: string, answer: string) => checkKnowledgeSchema.safeParse({ interactionId: call.id, kind, answer });
      expect(parse("payment_last4", "4242").success).toBe(true);
      for (const answer of ["424", "42424", "four"]) {
        expect(parse("payment_last4", answer).error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([["answer", "Type the 4 digits the caller reads out"]]);
      }
      const wholeCard = parse("payment_last4", "4242 4242 4242 4242");
      expect(wholeCard.error?.issues.map((i) => i.path.join("."))).toContain("answer");
      expect(JSON.stringify(wholeCard.error?.issues.map((i) => i.message))).not.toContain("4242");
      expect(parse("account_last4", "0001").error?.issues.map((i) => i.path.join("."))).toEqual(["kind"]);
    });

    it("are masked in the audit trail supervisors read", async () => {
      const [card] = await t.db.select().from(paymentMethods).where(and(eq(paymentMethods.customerId, caller.id), eq(paymentMethods.last4, "4242")));
      await t.db.transaction((tx) =>
        recordAudit(tx, agent, { tenantId: acmeId, action: "payment_method.added", entityType: "payment_method", entityId: card!.id, customerId: caller.id, after: { kind: "card", brand: "visa", last4: "4242", default: { last4: "5432" } } }),
      );
      const trail = await customerAuditTrail(t.db, supervisor, acmeId, caller.id);
      expect(trail.find((e) => e.action === "payment_method.added")?.after).toEqual({ kind: "card", brand: "visa", last4: "••••", default: { last4: "••••" } });
    });
  });

  describe("levels", () => {
    beforeAll(async () => {
      ann = await twinOfAnn();
    });

    it("strong is a code plus a knowledge check", async () => {
      const call = await freshCall(agent, ann);
      const { code } = await sendCode(agent, call.id);
      expect(await checkVerificationCode(t.db, agent, { interactionId: call.id, code })).toMatchObject({ level: "basic" });
      await expect(requireVerification(t.db, agent, call.id, ann.id, "change_phone")).rejects.toThrow(VerificationRequiredError);
      expect(await checkKnowledge(t.db, agent, { interactionId: call.id, kind: "date_of_birth", answer: ANN.dateOfBirth })).toMatchObject({ match: true, level: "strong" });
      expect((await requireVerification(t.db, agent, call.id, ann.id, "change_phone")).level).toBe("strong");
      const matched = (await auditOf(call.id)).filter((e) => e.action === "verification.factor_matched").map((e) => e.after);
      expect(matched).toEqual([
        { factor: "otp_sms", level: "basic" },
        { factor: "date_of_birth", level: "strong" },
      ]);
    });

    it("two knowledge checks stay basic, unless the tenant's policy lets them reach strong", async () => {
      const call = await freshCall(agent, ann);
      await checkKnowledge(t.db, agent, { interactionId: call.id, kind: "date_of_birth", answer: ANN.dateOfBirth });
      expect(await checkKnowledge(t.db, agent, { interactionId: call.id, kind: "postcode", answer: ANN.postcode })).toMatchObject({ match: true, level: "basic" });
      await expect(requireVerification(t.db, agent, call.id, ann.id, "change_address")).rejects.toThrow(VerificationRequiredError);

      await t.db.update(tenants).set({ knowledgeOnlyStrong: true }).where(eq(tenants.id, acmeId));
      try {
        const next = await freshCall(agent, ann);
        expect(await checkKnowledge(t.db, agent, { interactionId: next.id, kind: "date_of_birth", answer: ANN.dateOfBirth })).toMatchObject({ level: "basic" });
        expect(await checkKnowledge(t.db, agent, { interactionId: next.id, kind: "postcode", answer: ANN.postcode })).toMatchObject({ match: true, level: "strong" });
        expect((await requireVerification(t.db, agent, next.id, ann.id, "change_address")).level).toBe("strong");
      } finally {
        await t.db.update(tenants).set({ knowledgeOnlyStrong: false }).where(eq(tenants.id, acmeId));
      }
    });

    describe("hold only for 30 minutes, only in their call, only for its agent", () => {
      let call: Interaction;
      const reachedAt = new Date();

      it("lapses 30 minutes after it was reached", async () => {
        call = await freshCall(agent, ann);
        const { code } = await sendCode(agent, call.id, "sms", reachedAt);
        await checkVerificationCode(t.db, agent, { interactionId: call.id, code }, reachedAt);
        await checkKnowledge(t.db, agent, { interactionId: call.id, kind: "date_of_birth", answer: ANN.dateOfBirth }, reachedAt);

        const in29 = new Date(reachedAt.getTime() + 29 * MINUTE);
        expect((await requireVerification(t.db, agent, call.id, ann.id, "change_phone", in29)).level).toBe("strong");
        const state = await verificationState(t.db, agent, call.id, in29);
        expect(state.level).toBe("strong");
        expect(state.validUntil!.getTime()).toBe(reachedAt.getTime() + VERIFICATION_TTL_MS);

        const in31 = new Date(reachedAt.getTime() + 31 * MINUTE);
        const error = await requireVerification(t.db, agent, call.id, ann.id, "change_phone", in31).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(VerificationRequiredError);
        expect((error as VerificationRequiredError).needed).toBe("strong");
        await expect(requireVerification(t.db, agent, call.id, ann.id, "reveal_personal_data", in31)).rejects.toThrow(VerificationRequiredError);
        expect(await verificationState(t.db, agent, call.id, in31)).toMatchObject({ level: "none", validUntil: null });
      });

      it("is not the caller's level for another call's customer", async () => {
        const zoe = await customerByRef("acme", "ACME-0002");
        await expect(requireVerification(t.db, agent, call.id, zoe.id, "reveal_personal_data", reachedAt)).rejects.toThrow(ConflictError);
      });

      it("cannot be used by another agent of the tenant, nor seen by an agent of another tenant", async () => {
        const before = await factorsOf(call.id);
        const attempts = (actor: StaffActor) => [
          () => requireVerification(t.db, actor, call.id, ann.id, "reveal_personal_data", reachedAt),
          () => verificationState(t.db, actor, call.id, reachedAt),
          () => sendVerificationCode(t.db, actor, { interactionId: call.id, channel: "sms" }),
          () => checkKnowledge(t.db, actor, { interactionId: call.id, kind: "date_of_birth", answer: ANN.dateOfBirth }),
        ];
        for (const attempt of attempts(agentAcme)) await expect(attempt()).rejects.toThrow(ConflictError);
        for (const attempt of attempts(agentGlobex)) await expect(attempt()).rejects.toThrow(NotFoundError);
        expect(await factorsOf(call.id)).toEqual(before);
        expect((await codeMessages(call.id)).length).toBe(1);
      });

      it("is void once the call has ended", async () => {
        const [verification] = await t.db.select().from(verifications).where(eq(verifications.interactionId, call.id));
        expect(effectiveLevel(verification!, call, NO_LOCK, reachedAt)).toBe("strong");
        await endCall(t.db, agent, { interactionId: call.id, disposition: "resolved", summary: "Verified." });
        const [ended] = await t.db.select().from(interactions).where(eq(interactions.id, call.id));
        expect(effectiveLevel(verification!, ended!, NO_LOCK, reachedAt)).toBe("none");
        await expect(requireVerification(t.db, agent, call.id, ann.id, "reveal_personal_data", reachedAt)).rejects.toThrow(/call has ended/);
        await expect(checkKnowledge(t.db, agent, { interactionId: call.id, kind: "postcode", answer: ANN.postcode })).rejects.toThrow(ConflictError);
      });
    });
  });
});
