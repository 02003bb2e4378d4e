import { createHash } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { auditEvents, customerSecurity, customers, outboxMessages, verifications, type Customer, type Interaction } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { StaffActor } from "@/lib/actor";
import { ValidationError } from "@/lib/errors";
import { endCall, openCallWith, startCall } from "@/lib/interactions/interactions";
import { isSealed, unseal } from "@/lib/notifications/sealed";
import { resetMultiFactor, securityQuestionSchema, sendPasswordReset, setSecurityQuestion } from "./security-settings";
import { VerificationRequiredError, checkKnowledge, checkVerificationCode, sendVerificationCode } from "./verification";

const HOUR = 60 * 60 * 1000;

describe("security settings during a call", () => {
  let t: TestDatabase;
  let agent: StaffActor;
  let acmeId: string;
  let ann: Customer; // ACME-0001

  const securityRow = async () =>
    (await t.db.select().from(customerSecurity).where(and(eq(customerSecurity.tenantId, acmeId), eq(customerSecurity.customerId, ann.id))))[0];
  const auditOf = (interactionId: string) => t.db.select().from(auditEvents).where(eq(auditEvents.interactionId, interactionId)).orderBy(auditEvents.at);
  const messagesOf = async (interactionId: string) =>
    (await t.db.select().from(outboxMessages).where(eq(outboxMessages.interactionId, interactionId)).orderBy(outboxMessages.createdAt)).filter(
      (m) => m.template !== "verification_code",
    );
  async function tableText(table: string): Promise<string> {
    const rows = await queryRows<{ row: string }>(t.db, sql`select t::text as row from ${sql.identifier(table)} t`);
    return rows.map((r) => r.row).join("\n");
  }

  async function freshCall(): Promise<Interaction> {
    const open = await openCallWith(t.db, agent, ann);
    if (open) await endCall(t.db, agent, { interactionId: open.id, disposition: "resolved", summary: "Done." });
    return startCall(t.db, agent, { customerId: ann.id });
  }

  async function verifyStrong(call: Interaction) {
    await sendVerificationCode(t.db, agent, { interactionId: call.id, channel: "sms" });
    const [message] = await t.db.select().from(outboxMessages).where(and(eq(outboxMessages.interactionId, call.id), eq(outboxMessages.template, "verification_code")));
    const code = /^(\d{6}) /.exec(unseal(message!.body!))![1]!;
    expect(await checkVerificationCode(t.db, agent, { interactionId: call.id, code })).toMatchObject({ match: true, level: "basic" });
    expect(await checkKnowledge(t.db, agent, { interactionId: call.id, kind: "date_of_birth", answer: "1984-03-12" })).toMatchObject({ match: true, level: "strong" });
  }

  const reasonFor = async (call: Interaction) => {
    const [verification] = await t.db.select().from(verifications).where(eq(verifications.interactionId, call.id));
    return `caller verified (strong), verification ${verification!.id}`;
  };

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    agent = await signedInStaff(t.db, "agent@demo.test");
    acmeId = await tenantIdByKey(t.db, "acme");
    ann = (await t.db.select().from(customers).where(and(eq(customers.tenantId, acmeId), eq(customers.ref, "ACME-0001"))))[0]!;
  });
  afterAll(() => t?.close());

  it("are refused below strong verification (none, then basic), and nothing is written", async () => {
    const call = await freshCall();
    const before = await securityRow();
    const input = { interactionId: call.id, customerId: ann.id };
    const attempts = [
      () => sendPasswordReset(t.db, agent, input),
      () => resetMultiFactor(t.db, agent, input),
      () => setSecurityQuestion(t.db, agent, { ...input, question: "Which street did you grow up on?", answer: "Rosemary Avenue" }),
    ];
    for (const level of ["none", "basic"] as const) {
      if (level === "basic") await checkKnowledge(t.db, agent, { interactionId: call.id, kind: "date_of_birth", answer: "12/03/1984" });
      for (const attempt of attempts) {
        const error = await attempt().catch((e: unknown) => e);
        expect(error, level).toBeInstanceOf(VerificationRequiredError);
        expect((error as VerificationRequiredError).needed).toBe("strong");
      }
    }
    expect(await securityRow()).toEqual(before);
    expect(await messagesOf(call.id)).toEqual([]);
    expect((await auditOf(call.id)).map((e) => e.action).filter((a) => a.startsWith("customer."))).toEqual([]);
  });

  describe("with strong verification", () => {
    let call: Interaction;

    it("sends a password-reset link sealed, keeps only the SHA-256 of its token, and audits it", async () => {
      call = await freshCall();
      await verifyStrong(call);
      const now = new Date();
      await sendPasswordReset(t.db, agent, { interactionId: call.id, customerId: ann.id }, now);

      const [link] = await messagesOf(call.id);
      expect(link).toMatchObject({
        template: "security.password_reset_link",
        channel: "email",
        recipient: "ann.smith@example.com",
        subject: "Reset your Acme Energy password",
        sensitive: true,
        customerId: ann.id,
      });
      expect(isSealed(link!.body!)).toBe(true);
      const token = /\/reset-password\/([A-Za-z0-9_-]{43})\b/.exec(unseal(link!.body!))?.[1];
      expect(token).toBeDefined();

      const security = await securityRow();
      expect(security!.passwordResetTokenHash).toBe(createHash("sha256").update(token!).digest("hex"));
      expect(security!.passwordResetSentAt).toEqual(now);
      expect(security!.passwordResetExpiresAt).toEqual(new Date(now.getTime() + HOUR));
      for (const table of ["outbox_messages", "customer_security", "audit_events", "dev_mailbox"]) {
        expect(await tableText(table), table).not.toContain(token!);
      }

      const [event] = (await auditOf(call.id)).filter((e) => e.action === "customer.password_reset_sent");
      expect(event).toMatchObject({ actorId: agent.id, customerId: ann.id, entityType: "customer_security", after: { sentTo: "email on file" }, reason: await reasonFor(call) });
    });

    it("resets two-step verification, tells the customer at the email on file, and audits it", async () => {
      const now = new Date();
      await resetMultiFactor(t.db, agent, { interactionId: call.id, customerId: ann.id }, now);
      expect((await securityRow())!.mfaResetAt).toEqual(now);

      const notice = (await messagesOf(call.id)).find((m) => m.template === "security.mfa_reset");
      expect(notice).toMatchObject({
        channel: "email",
        recipient: "ann.smith@example.com",
        subject: "Security settings changed on your Acme Energy account",
        sensitive: false,
        customerId: ann.id,
      });
      expect(notice!.body).toContain("two-step verification on your account was reset");
      expect(notice!.body).toMatch(/If this wasn't you, call us/);
      const [event] = (await auditOf(call.id)).filter((e) => e.action === "customer.mfa_reset");
      expect(event).toMatchObject({ actorId: agent.id, customerId: ann.id, reason: await reasonFor(call) });
    });

    it("sets a new security question, storing only the scrypt hash of its answer, and tells the customer", async () => {
      const previousHash = (await securityRow())!.securityAnswerHash;
      const input = securityQuestionSchema.parse({ interactionId: call.id, customerId: ann.id, question: "Which street did you grow up on?", answer: "Rosemary Avenue" });
      await setSecurityQuestion(t.db, agent, input);

      const security = await securityRow();
      expect(security!.securityQuestion).toBe("Which street did you grow up on?");
      expect(security!.securityAnswerHash).toMatch(/^scrypt\$/);
      expect(security!.securityAnswerHash).not.toBe(previousHash);
      for (const table of ["customer_security", "audit_events", "outbox_messages"]) {
        expect((await tableText(table)).toLowerCase(), table).not.toContain("rosemary");
      }

      const notice = (await messagesOf(call.id)).find((m) => m.template === "security.security_question_set");
      expect(notice).toMatchObject({ channel: "email", recipient: "ann.smith@example.com", sensitive: false });
      expect(notice!.body).toContain("the security question on your account was changed");
      const [event] = (await auditOf(call.id)).filter((e) => e.action === "customer.security_question_set");
      expect(event).toMatchObject({ after: { question: "Which street did you grow up on?" }, reason: await reasonFor(call) });
    });

    it("refuses an answer with no letters or digits, writing nothing", async () => {
      const before = await securityRow();
      const auditBefore = await auditOf(call.id);
      const messagesBefore = await messagesOf(call.id);
      const error = await setSecurityQuestion(t.db, agent, { interactionId: call.id, customerId: ann.id, question: "Which street did you grow up on?", answer: "?!" }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).fieldErrors.map((e) => e.path)).toEqual(["answer"]);
      expect(await securityRow()).toEqual(before);
      expect(await auditOf(call.id)).toEqual(auditBefore);
      expect(await messagesOf(call.id)).toEqual(messagesBefore);
    });

    it("checks callers against the new answer from then on, not the old one", async () => {
      const next = await freshCall();
      expect(await checkKnowledge(t.db, agent, { interactionId: next.id, kind: "security_question", answer: "Hillside Primary" })).toMatchObject({ match: false });
      expect(await checkKnowledge(t.db, agent, { interactionId: next.id, kind: "security_question", answer: "rosemary avenue." })).toMatchObject({ match: true, level: "basic" });
    });
  });
});
