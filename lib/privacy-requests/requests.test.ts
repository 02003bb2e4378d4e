import { and, desc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, consentEvents, outboxMessages, privacyRequests, type Customer, type Interaction } from "@/db/schema";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { StaffActor } from "@/lib/actor";
import { checkConsent } from "@/lib/consent/check";
import { ConflictError, NotFoundError } from "@/lib/errors";
import { checkKnowledge, checkVerificationCode, sendVerificationCode } from "@/lib/identity/verification";
import { unseal } from "@/lib/notifications/sealed";
import { customerByRef, freshCall, verifyBasic } from "@/lib/payments/testing";
import { logPrivacyRequest, logRequestSchema } from "./requests";

/** Strong verification at a given moment (the code and the date of birth), so that `now` can be fixed. */
async function verifyStronglyAt(t: TestDatabase, agent: StaffActor, call: Interaction, dateOfBirth: string, now: Date): Promise<void> {
  await sendVerificationCode(t.db, agent, { interactionId: call.id, channel: "sms" }, now);
  const [message] = await t.db
    .select()
    .from(outboxMessages)
    .where(and(eq(outboxMessages.interactionId, call.id), eq(outboxMessages.template, "verification_code")))
    .orderBy(desc(outboxMessages.createdAt))
    .limit(1);
  const code = /^(\d{6}) is your /.exec(unseal(message!.body!))![1]!;
  expect((await checkVerificationCode(t.db, agent, { interactionId: call.id, code }, now)).match).toBe(true);
  expect((await checkKnowledge(t.db, agent, { interactionId: call.id, kind: "date_of_birth", answer: dateOfBirth }, now)).level).toBe("strong");
}

describe("logging a privacy request during a call", () => {
  let t: TestDatabase;
  let agent: StaffActor;
  let agentAcme: StaffActor;

  const log = (call: Interaction, customer: Customer, type: string, customerWords: string, now?: Date) =>
    logPrivacyRequest(t.db, agent, logRequestSchema.parse({ interactionId: call.id, customerId: customer.id, type, customerWords }), now);
  const requestsOf = (c: Customer) => t.db.select().from(privacyRequests).where(and(eq(privacyRequests.tenantId, c.tenantId), eq(privacyRequests.customerId, c.id)));
  const messagesOf = (c: Customer, template: string) =>
    t.db.select().from(outboxMessages).where(and(eq(outboxMessages.tenantId, c.tenantId), eq(outboxMessages.customerId, c.id), eq(outboxMessages.template, template)));
  const auditOf = (entityId: string) => t.db.select().from(auditEvents).where(eq(auditEvents.entityId, entityId)).orderBy(auditEvents.at);

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    agent = await signedInStaff(t.db, "agent@demo.test");
    agentAcme = await signedInStaff(t.db, "agent.acme@demo.test");
  });
  afterAll(() => t?.close());

  it("strongly verified: open, received at the call time, due one calendar month later rolled past the weekend (UK), acknowledged with that date", async () => {
    const ann = await customerByRef(t.db, "acme", "ACME-0001");
    const call = await freshCall(t.db, agent, ann);
    // 31 January → 28 February 2027 (no 31st), a Sunday → Monday 1 March, to the end of that day in London (GMT).
    const now = new Date("2027-01-31T10:00:00Z");
    await verifyStronglyAt(t, agent, call, "1984-03-12", now);
    const request = await log(call, ann, "access", "Send me everything you hold on me", now);

    expect(request).toMatchObject({ type: "access", status: "open", channel: "phone", regime: "uk_gdpr", verificationLevel: "strong", interactionId: call.id, identityPendingReason: null, customerWords: "Send me everything you hold on me" });
    expect(request.receivedAt.toISOString()).toBe("2027-01-31T10:00:00.000Z");
    expect(request.clockStartedAt.toISOString()).toBe("2027-01-31T10:00:00.000Z");
    expect(request.dueAt.toISOString()).toBe("2027-03-01T23:59:59.999Z");
    expect(request.originalDueAt.toISOString()).toBe("2027-03-01T23:59:59.999Z");
    expect(request.acknowledgedAt?.toISOString()).toBe(now.toISOString());

    // D1: the acknowledgement goes to the contact on file, saying when to expect the answer.
    const [ack] = await messagesOf(ann, "privacy_request.received");
    expect(ack).toMatchObject({ channel: "email", recipient: "ann.smith@example.com", interactionId: call.id, status: "pending" });
    expect(ack!.body).toContain("on 31 January 2027");
    expect(ack!.body).toContain("We will respond by 1 March 2027");
    expect(ack!.body).toContain("You confirmed your identity on the call");

    // Audited, with no personal data in it.
    const [logged] = await auditOf(request.id);
    expect(logged).toMatchObject({ action: "privacy_request.logged", actorId: agent.id, customerId: ann.id, interactionId: call.id });
    expect(logged!.after).toMatchObject({ type: "access", status: "open", regime: "uk_gdpr", dueAt: "2027-03-01T23:59:59.999Z", verificationLevel: "strong" });
    expect(JSON.stringify(logged)).not.toContain("Send me everything");
  });

  it("basically verified (or not at all): identity_pending with the reason recorded, and no identity document asked for", async () => {
    const zoe = await customerByRef(t.db, "acme", "ACME-0002");
    const call = await freshCall(t.db, agent, zoe);
    await verifyBasic(t.db, agent, call, "1990-07-30");
    const pending = await log(call, zoe, "erasure", "Delete my account and everything about me");
    expect(pending).toMatchObject({ status: "identity_pending", verificationLevel: "basic" });
    expect(pending.identityPendingReason).toContain("verified at basic level only");
    expect(pending.identityPendingReason).toContain("a code to a contact point on file plus a knowledge check");
    expect(pending.identityPendingReason).not.toMatch(/passport|driving|document|photo/i);
    const [ack] = await messagesOf(zoe, "privacy_request.received");
    expect(ack!.body).toContain("we will only ask for information we already hold about you");
    expect(ack!.body).not.toContain("You confirmed your identity");
    expect((await auditOf(pending.id))[0]!.reason).toBe(pending.identityPendingReason);

    const unverified = await log(await freshCall(t.db, agent, zoe), zoe, "rectification", "My surname is spelt wrong");
    expect(unverified).toMatchObject({ status: "identity_pending", verificationLevel: "none" });
    expect(unverified.identityPendingReason).toContain("not verified");
  });

  it("an opt-out of sale or sharing needs no verification: completed at once, and the check answers refused on every channel (D3, D4)", async () => {
    const an = await customerByRef(t.db, "globex", "GLX-0004");
    const channels = ["email", "post", "in_app"] as const;
    for (const channel of channels) expect((await checkConsent(t.db, an.tenantId, { customer: "GLX-0004", purpose: "sale_or_share", channel })).reason).toBe("no_record");
    const call = await freshCall(t.db, agent, an);
    const request = await log(call, an, "opt_out_sale_share", "Don't sell my information");
    expect(request).toMatchObject({ status: "completed", verificationLevel: "none", identityPendingReason: null, regime: "ccpa" });
    expect(request.completedAt).not.toBeNull();
    expect(request.resolution).toContain("no longer sold or shared");
    for (const channel of channels) {
      expect(await checkConsent(t.db, an.tenantId, { customer: "GLX-0004", purpose: "sale_or_share", channel })).toMatchObject({ allowed: false, reason: "refused" });
    }
    const events = await t.db.select().from(consentEvents).where(and(eq(consentEvents.tenantId, an.tenantId), eq(consentEvents.interactionId, call.id)));
    expect(events.map((e) => [e.action, e.channel, e.method]).sort()).toEqual([
      ["refuse", "email", "verbal"],
      ["refuse", "in_app", "verbal"],
      ["refuse", "post", "verbal"],
    ]);
    const [done] = await messagesOf(an, "privacy_request.completed");
    expect(done!.recipient).toBe("an.nguyen@example.com");
    expect((await auditOf(request.id)).map((e) => e.action)).toEqual(["privacy_request.logged", "privacy_request.completed"]);
  });

  it("an objection to direct marketing is completed at once: the check answers objected for marketing on every channel (B13)", async () => {
    const siobhan = await customerByRef(t.db, "acme", "ACME-0003");
    expect((await checkConsent(t.db, siobhan.tenantId, { customer: "ACME-0003", purpose: "marketing", channel: "email" })).reason).toBe("granted");
    const request = await log(await freshCall(t.db, agent, siobhan), siobhan, "objection", "Stop marketing me");
    expect(request.status).toBe("completed");
    for (const channel of ["email", "sms", "phone", "post"] as const) {
      expect(await checkConsent(t.db, siobhan.tenantId, { customer: "ACME-0003", purpose: "marketing", channel })).toMatchObject({ allowed: false, reason: "objected" });
    }
    // Not a marketing purpose: untouched.
    expect((await checkConsent(t.db, siobhan.tenantId, { customer: "ACME-0003", purpose: "profiling", channel: "email" })).reason).toBe("no_record");
  });

  it("writes nothing when a step fails: no request, no audit event, no message", async () => {
    const peter = await customerByRef(t.db, "acme", "ACME-0006");
    const call = await freshCall(t.db, agent, peter);
    await t.db.execute(sql`create function fail_test_acknowledgement() returns trigger language plpgsql as $$
      begin if new.template = 'privacy_request.received' then raise exception 'outbox unavailable'; end if; return new; end $$`);
    await t.db.execute(sql`create trigger fail_test_acknowledgement before insert on outbox_messages for each row execute function fail_test_acknowledgement()`);
    try {
      await expect(log(call, peter, "access", "What do you hold about me?")).rejects.toThrow();
    } finally {
      await t.db.execute(sql`drop trigger fail_test_acknowledgement on outbox_messages`);
      await t.db.execute(sql`drop function fail_test_acknowledgement()`);
    }
    expect(await requestsOf(peter)).toEqual([]);
    expect(await t.db.select().from(auditEvents).where(and(eq(auditEvents.customerId, peter.id), eq(auditEvents.action, "privacy_request.logged")))).toEqual([]);
    expect(await messagesOf(peter, "privacy_request.received")).toEqual([]);

    // The same request, with the outbox working, goes through.
    await log(call, peter, "access", "What do you hold about me?");
    expect(await requestsOf(peter)).toHaveLength(1);
  });

  it("refuses a second open request of the same type (the first covers it), but not another type", async () => {
    const helene = await customerByRef(t.db, "acme", "ACME-0007");
    const call = await freshCall(t.db, agent, helene);
    const first = await log(call, helene, "portability", "I want my data to move supplier");
    const again = await log(call, helene, "portability", "I want my data again").catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ConflictError);
    expect((again as Error).message).toContain(`due ${first.dueAt.toISOString().slice(0, 10)}`);
    await log(call, helene, "restriction", "Stop using my data while you check it");
    expect((await requestsOf(helene)).map((r) => r.type).sort()).toEqual(["portability", "restriction"]);
  });

  it("an agent of another tenant cannot log for the customer: NotFound, nothing written", async () => {
    const john = await customerByRef(t.db, "globex", "GLX-0001");
    const call = await freshCall(t.db, agent, john);
    const refused = await logPrivacyRequest(t.db, agentAcme, logRequestSchema.parse({ interactionId: call.id, customerId: john.id, type: "access", customerWords: "Send me my data" })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(NotFoundError);
    const otherCustomer = await customerByRef(t.db, "globex", "GLX-0005");
    await expect(log(call, otherCustomer, "access", "Send me my data")).rejects.toBeInstanceOf(ConflictError);
    expect(await requestsOf(john)).toEqual([]);
    expect(await requestsOf(otherCustomer)).toEqual([]);
  });

  it("needs the customer's words: a form is not required, but something must be written", () => {
    const parsed = logRequestSchema.safeParse({ interactionId: crypto.randomUUID(), customerId: crypto.randomUUID(), type: "access", customerWords: " " });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path.join("."))).toEqual(["customerWords"]);
  });
});
