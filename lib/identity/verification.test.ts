import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { DEMO_PASSWORD } from "@/db/demo-data";
import {
  auditEvents,
  customerSecurity,
  customers,
  interactions,
  outboxMessages,
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
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "@/lib/errors";
import { endCall, openCallWith, startCall } from "@/lib/interactions/interactions";
import { isSealed, unseal } from "@/lib/notifications/sealed";
import { createStaff } from "@/lib/staff/staff";
import { CODE_TTL_MS, VERIFICATION_TTL_MS } from "./policy";
import {
  VerificationRequiredError,
  checkKnowledge,
  checkVerificationCode,
  closeAlertSchema,
  closeVerificationAlert,
  effectiveLevel,
  openVerificationAlerts,
  requireVerification,
  sendCodeSchema,
  sendVerificationCode,
  verificationState,
} from "./verification";

const MINUTE = 60 * 1000;

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

    it("lock verification for the call, raise an alert and audit each failure", async () => {
      call = await freshCall(agent, ann);
      const { code } = await sendCode(agent, call.id);
      rightCode = code;
      const wrong = otherCode(code);
      expect(await checkVerificationCode(t.db, agent, { interactionId: call.id, code: wrong })).toEqual({ match: false, level: "none", locked: false, attemptsLeft: 2 });
      expect(await checkVerificationCode(t.db, agent, { interactionId: call.id, code: wrong })).toEqual({ match: false, level: "none", locked: false, attemptsLeft: 1 });
      expect(await checkVerificationCode(t.db, agent, { interactionId: call.id, code: wrong })).toEqual({ match: false, level: "none", locked: true, attemptsLeft: 0 });

      expect((await factorsOf(call.id))[0]).toMatchObject({ outcome: "no_match", codeTries: 3 });
      const verification = await verificationOf(call.id);
      expect(verification).toMatchObject({ failedFactors: 3, level: "none" });
      expect(verification!.lockedAt).toBeInstanceOf(Date);

      const alerts = await t.db.select().from(verificationAlerts).where(eq(verificationAlerts.interactionId, call.id));
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ tenantId: acmeId, verificationId: verification!.id, customerId: ann.id, agentId: agent.id, closedAt: null });
      alertId = alerts[0]!.id;

      const actions = (await auditOf(call.id)).map((e) => e.action);
      expect(actions.filter((a) => a === "verification.factor_failed")).toHaveLength(3);
      expect(actions.filter((a) => a === "verification.locked")).toHaveLength(1);
      const failed = (await auditOf(call.id)).filter((e) => e.action === "verification.factor_failed");
      expect(failed.map((e) => e.outcome)).toEqual(["failure", "failure", "failure"]);
      expect(failed.map((e) => (e.after as { failedFactors: number }).failedFactors)).toEqual([1, 2, 3]);
    });

    it("refuse further codes and checks in that call, the right code included", async () => {
      const before = await factorsOf(call.id);
      await expect(sendVerificationCode(t.db, agent, { interactionId: call.id, channel: "sms" })).rejects.toThrow(ConflictError);
      await expect(checkVerificationCode(t.db, agent, { interactionId: call.id, code: rightCode })).rejects.toThrow(/locked/);
      await expect(checkKnowledge(t.db, agent, { interactionId: call.id, kind: "date_of_birth", answer: ANN.dateOfBirth })).rejects.toThrow(/locked/);
      expect(await factorsOf(call.id)).toEqual(before);
      expect((await codeMessages(call.id)).length).toBe(1);
      expect(await verificationState(t.db, agent, call.id)).toMatchObject({ level: "none", locked: true, attemptsLeft: 0 });
      await expect(requireVerification(t.db, agent, call.id, ann.id, "reveal_personal_data")).rejects.toThrow(VerificationRequiredError);
    });

    it("show the alert to supervisors, not to agents", async () => {
      await expect(openVerificationAlerts(t.db, agent)).rejects.toThrow(ForbiddenError);
      const open = await openVerificationAlerts(t.db, supervisor);
      expect(open.find((a) => a.id === alertId)).toMatchObject({
        interactionId: call.id,
        customerName: "Ann Smith",
        customerRef: "ACME-0001",
        agentEmail: "agent@demo.test",
        reason: "3 failed verification attempts in one call",
      });
    });

    it("close the alert only with a note, by a supervisor, audited", async () => {
      const noNote = closeAlertSchema.safeParse({ alertId, note: "  " });
      expect(noNote.success).toBe(false);
      expect(noNote.error!.issues.map((i) => i.path.join("."))).toEqual(["note"]);
      await expect(closeVerificationAlert(t.db, agent, { alertId, note: "Looked into it." })).rejects.toThrow(ForbiddenError);

      const note = "Called the customer back on the number on file; it was them, mistyped.";
      await closeVerificationAlert(t.db, supervisor, closeAlertSchema.parse({ alertId, note }));
      const [alert] = await t.db.select().from(verificationAlerts).where(eq(verificationAlerts.id, alertId));
      expect(alert).toMatchObject({ closedBy: supervisor.id, closingNote: note });
      expect(alert!.closedAt).toBeInstanceOf(Date);
      expect((await openVerificationAlerts(t.db, supervisor)).map((a) => a.id)).not.toContain(alertId);
      const [event] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.action, "verification_alert.closed"), eq(auditEvents.entityId, alertId)));
      expect(event).toMatchObject({ actorId: supervisor.id, tenantId: acmeId, customerId: ann.id, interactionId: call.id, reason: note });
      await expect(closeVerificationAlert(t.db, supervisor, { alertId, note })).rejects.toThrow(ConflictError);
    });
  });

  describe("knowledge checks", () => {
    let call: Interaction;
    const secrets = [ANN.dateOfBirth, "12/03/1984", ANN.postcode, "LS14AB", ANN.phone, "7911123456", "07911", ANN.email, "Hillside", "hillside"];

    it("compare the date of birth in any common format, and answer match / no match only", async () => {
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
      expect(await checkKnowledge(t.db, agent, { interactionId: call.id, kind: "account_last4", answer: "0001" })).toMatchObject({ match: true });
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
      expect(state.availableChecks.map((c) => c.kind)).toEqual(["date_of_birth", "postcode", "account_last4", "security_question"]);
      expect(state.availableChecks.find((c) => c.kind === "security_question")?.prompt).toBe("What was the name of your first school?");
      expect(state.codeDestinations).toEqual([
        { channel: "sms", to: "•••• •••456" },
        { channel: "email", to: "a•••@e•••.com" },
      ]);
      expect(state.factors.map((f) => f.outcome)).toEqual(["match", "no_match", "match", "match", "match", "no_match"]);
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

  describe("levels", () => {
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
        expect(effectiveLevel(verification!, call, reachedAt)).toBe("strong");
        await endCall(t.db, agent, { interactionId: call.id, disposition: "resolved", summary: "Verified." });
        const [ended] = await t.db.select().from(interactions).where(eq(interactions.id, call.id));
        expect(effectiveLevel(verification!, ended!, reachedAt)).toBe("none");
        await expect(requireVerification(t.db, agent, call.id, ann.id, "reveal_personal_data", reachedAt)).rejects.toThrow(/call has ended/);
        await expect(checkKnowledge(t.db, agent, { interactionId: call.id, kind: "postcode", answer: ANN.postcode })).rejects.toThrow(ConflictError);
      });
    });
  });
});
