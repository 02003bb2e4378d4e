import { and, desc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, consentEvents, outboxMessages, privacyRequests, type Customer, type Interaction } from "@/db/schema";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { StaffActor } from "@/lib/actor";
import { authenticateApiKey } from "@/lib/api-keys/api-keys";
import { checkConsent } from "@/lib/consent/check";
import { putCustomer } from "@/lib/customers/customers";
import { ConflictError, NotFoundError } from "@/lib/errors";
import { checkKnowledge, checkVerificationCode, sendVerificationCode } from "@/lib/identity/verification";
import { unseal } from "@/lib/notifications/sealed";
import { customerByRef, freshCall, verifyBasic } from "@/lib/payments/testing";
import { registerWebhookEndpoint } from "@/lib/webhooks/webhooks";
import { offlineTargets } from "@/db/testing/webhook-targets";
import { tenantIdByKey } from "@/db/seed";
import { readBackScript } from "./messages";
import { createPrivacyRequest, identityFact, logPrivacyRequest, logRequestSchema } from "./requests";

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
    const admin = await signedInStaff(t.db, "admin@demo.test");
    await registerWebhookEndpoint(t.db, admin, { tenantId: await tenantIdByKey(t.db, "globex"), url: "https://crm.globex.test/attest", description: "CRM", eventTypes: ["privacy_request.updated"] }, { targets: offlineTargets() });
  });
  const webhooksAbout = async (requestId: string) =>
    (await t.db.select().from(outboxMessages).where(and(eq(outboxMessages.channel, "webhook"), eq(outboxMessages.template, "privacy_request.updated")))).filter((m) => m.body!.includes(requestId)).map((m) => JSON.parse(m.body!) as { data: Record<string, unknown> });
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
    expect(identityFact(request)).toBe("not needed (takes effect at once, whoever asks)");

    // The tenant's systems hear the state, not the words of the outcome.
    const announced = await webhooksAbout(request.id);
    expect(announced.map((w) => w.data.status)).toEqual(["completed"]);
    expect(Object.keys(announced[0]!.data)).not.toContain("resolution");
    expect(JSON.stringify(announced)).not.toContain("sold or shared");

    // A second click in the same call is the same request: nothing more recorded, nothing more sent.
    const again = await log(call, an, "opt_out_sale_share", "Don't sell my information");
    expect(again).toMatchObject({ id: request.id, status: "completed", writtenConfirmation: true });
    expect((await requestsOf(an)).filter((r) => r.type === "opt_out_sale_share")).toHaveLength(1);
    expect(await messagesOf(an, "privacy_request.completed")).toHaveLength(1);
    expect(await t.db.select().from(consentEvents).where(and(eq(consentEvents.tenantId, an.tenantId), eq(consentEvents.interactionId, call.id)))).toHaveLength(3);
  });

  it("an opt-out at a brand with no purpose that sells or shares says so, instead of 'no longer sold (0 choices recorded)'", async () => {
    const layla = await customerByRef(t.db, "acme", "ACME-0005");
    const request = await log(await freshCall(t.db, agent, layla), layla, "opt_out_sale_share", "Don't pass my details to anyone");
    expect(request.status).toBe("completed");
    expect(request.resolution).toBe("Acme Energy does not sell or share personal information for any purpose, so there was nothing to stop; your request is on record.");
    const [told] = await messagesOf(layla, "privacy_request.completed");
    expect(told!.body).toContain("does not sell or share personal information for any purpose");
    expect(told!.body).not.toMatch(/no longer sold|choices? recorded/);
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
    // Never checked, and never needed: the page does not say "confirmed on the call".
    expect(request.verificationLevel).toBe("none");
    expect(identityFact(request)).toBe("not needed (takes effect at once, whoever asks)");

    // Logged twice in the call (a double submit): one request, one message.
    const call = (await t.db.select().from(privacyRequests).where(eq(privacyRequests.id, request.id)))[0]!.interactionId!;
    const twice = await logPrivacyRequest(t.db, agent, logRequestSchema.parse({ interactionId: call, customerId: siobhan.id, type: "objection", customerWords: "Stop marketing me" }));
    expect(twice.id).toBe(request.id);
    expect((await requestsOf(siobhan)).filter((r) => r.type === "objection")).toHaveLength(1);
    expect(await messagesOf(siobhan, "privacy_request.completed")).toHaveLength(1);
  });

  it("D1: on a call the read-back is the confirmation of receipt, so the request is acknowledged at once; a written one is promised only with a contact on file", async () => {
    const acmeKey = (await authenticateApiKey(t.db, "demo-acme-api-key", null))!;
    await putCustomer(t.db, acmeKey, acmeKey.tenantId, "ACME-9002", { name: "Nora Nocontact" });
    const nora = await customerByRef(t.db, "acme", "ACME-9002");
    expect(nora).toMatchObject({ email: null, phone: null });
    const now = new Date("2026-05-04T10:00:00Z");
    const request = await log(await freshCall(t.db, agent, nora), nora, "rectification", "My name is spelt wrong", now);
    expect(request).toMatchObject({ status: "identity_pending", writtenConfirmation: false });
    expect(request.acknowledgedAt?.toISOString()).toBe(now.toISOString());
    expect(await messagesOf(nora, "privacy_request.received")).toEqual([]);
    const script = readBackScript(request, request.writtenConfirmation);
    expect(script).toContain("We will respond by");
    expect(script).not.toMatch(/confirmation by message/);
    expect(identityFact(request)).toContain("pending: The caller was not verified");

    // Received by the tenant's systems, there is no call to read it back on: not acknowledged without a contact.
    const byPost = await createPrivacyRequest(t.db, acmeKey, acmeKey.tenantId, { customer: "ACME-9002", type: "access", channel: "post" }, now);
    expect(byPost.acknowledgedAt).toBeNull();

    // With a contact on file, the read-back promises the message that is sent.
    const ann = await customerByRef(t.db, "acme", "ACME-0001");
    const [annsRequest] = await requestsOf(ann);
    expect(readBackScript(annsRequest!, true)).toContain("and you'll get a confirmation by message");
    expect(identityFact(annsRequest!)).toBe("confirmed on the call: the caller was strongly verified");
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

  it("answers the request already made when the same type is logged again in the call; refuses a second open one in a later call (the first covers it), but not another type", async () => {
    const helene = await customerByRef(t.db, "acme", "ACME-0007");
    const call = await freshCall(t.db, agent, helene);
    const first = await log(call, helene, "portability", "I want my data to move supplier", new Date("2026-06-01T10:00:00Z"));
    const sameCall = await log(call, helene, "portability", "I want my data to move supplier");
    expect(sameCall).toMatchObject({ id: first.id, version: first.version });
    expect(await messagesOf(helene, "privacy_request.received")).toHaveLength(1);

    const later = await freshCall(t.db, agent, helene);
    const again = await log(later, helene, "portability", "I want my data again").catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ConflictError);
    // 1 July 2026, as London counts it (the day the customer was given).
    expect((again as Error).message).toContain("(due 1 July 2026)");
    await log(later, helene, "restriction", "Stop using my data while you check it");
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
