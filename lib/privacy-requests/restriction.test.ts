import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, customerPreferences, customers, outboxMessages, paymentMethods, type Customer, type Interaction } from "@/db/schema";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { ApiKeyActor, StaffActor } from "@/lib/actor";
import { authenticateApiKey } from "@/lib/api-keys/api-keys";
import { checkConsent } from "@/lib/consent/check";
import { putCustomer } from "@/lib/customers/customers";
import { updateProfile } from "@/lib/customers/profile";
import { ConflictError, ForbiddenError } from "@/lib/errors";
import { addBankAccount } from "@/lib/payments/payment-methods";
import { customerByRef, freshCall, verifyStrongly } from "@/lib/payments/testing";
import { updateMarketingPreferences } from "@/lib/preferences/preferences";
import { changePlan, customerSubscription, pauseSubscription } from "@/lib/subscriptions/subscriptions";
import { confirmIdentity, completeRequest, rejectRequest } from "./queue";
import { createPrivacyRequest, logPrivacyRequest, logRequestSchema } from "./requests";
import { liftRestriction, liftRestrictionSchema } from "./restriction";

const RESTRICTED = "Processing of this customer's data is restricted at their request: only a correction of their details can be made until the restriction is lifted.";

describe("restriction of processing (B10)", () => {
  let t: TestDatabase;
  let agent: StaffActor;
  let supervisor: StaffActor;
  let acmeKey: ApiKeyActor;

  const reload = async (c: Customer) => (await t.db.select().from(customers).where(and(eq(customers.tenantId, c.tenantId), eq(customers.id, c.id))))[0]!;
  const marketingEmail = (c: Customer) => checkConsent(t.db, c.tenantId, { customer: c.ref, purpose: "marketing", channel: "email" });
  const liftNotices = (c: Customer) => t.db.select().from(outboxMessages).where(and(eq(outboxMessages.tenantId, c.tenantId), eq(outboxMessages.customerId, c.id), eq(outboxMessages.template, "privacy.restriction_lifted")));
  /** A restriction received by the tenant's systems, then confirmed by a supervisor: the moment it takes effect. */
  const restrictThroughTheQueue = async (c: Customer) => {
    const request = await createPrivacyRequest(t.db, acmeKey, c.tenantId, { customer: c.ref, type: "restriction", channel: "email" });
    expect(request.status).toBe("identity_pending");
    expect((await reload(c)).restricted).toBe(false);
    return confirmIdentity(t.db, supervisor, { requestId: request.id, version: request.version, method: "Code to the email on file matched" });
  };

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    agent = await signedInStaff(t.db, "agent@demo.test");
    supervisor = await signedInStaff(t.db, "supervisor@demo.test");
    acmeKey = (await authenticateApiKey(t.db, "demo-acme-api-key", null))!;
  });
  afterAll(() => t?.close());

  describe("a confirmed restriction, worked on a call, then lifted", () => {
    let zoe: Customer;
    let call: Interaction;
    const preferences = async (version: number) =>
      updateMarketingPreferences(t.db, agent, { interactionId: call.id, customerId: zoe.id, version, topicKeys: ["tariff_news"], frequency: "quarterly" });
    const bankAccount = () => addBankAccount(t.db, agent, { interactionId: call.id, customerId: zoe.id, scheme: "iban", iban: "GB82 WEST 1234 5698 7654 32", holderName: "Zoe Bronte" });
    const preferencesVersion = async () => (await t.db.select().from(customerPreferences).where(and(eq(customerPreferences.tenantId, zoe.tenantId), eq(customerPreferences.customerId, zoe.id))))[0]!.version;

    beforeAll(async () => {
      zoe = await customerByRef(t.db, "acme", "ACME-0002");
    });

    it("takes effect when the identity is confirmed: the check answers restricted for every purpose", async () => {
      expect((await marketingEmail(zoe)).reason).toBe("granted");
      const confirmed = await restrictThroughTheQueue(zoe);
      expect(confirmed.status).toBe("open");
      expect((await reload(zoe)).restricted).toBe(true);
      expect(await marketingEmail(zoe)).toMatchObject({ allowed: false, reason: "restricted" });
      expect((await checkConsent(t.db, zoe.tenantId, { customer: zoe.ref, purpose: "profiling", channel: "in_app" })).reason).toBe("restricted");
      const [audit] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.customerId, zoe.id), eq(auditEvents.action, "customer.restricted")));
      expect(audit).toMatchObject({ before: { restricted: false }, after: { restricted: true }, reason: `privacy request ${confirmed.id}` });
    });

    it("still lets the agent correct the customer's details, but refuses preference, subscription and payment-method changes", async () => {
      zoe = await reload(zoe);
      call = await freshCall(t.db, agent, zoe);
      await verifyStrongly(t.db, agent, call, "1990-07-30");

      const corrected = await updateProfile(t.db, agent, { interactionId: call.id, customerId: zoe.id, version: zoe.version, addressLine1: "4 Parsonage Row", city: "Haworth", postcode: "BD22 8DR", country: "GB" });
      expect(corrected.address).toMatchObject({ line1: "4 Parsonage Row" });
      expect(corrected.restricted).toBe(true);

      const subscription = (await customerSubscription(t.db, agent, zoe))!;
      const inCall = { interactionId: call.id, customerId: zoe.id, subscriptionId: subscription.subscription.id, version: subscription.subscription.version };
      const otherPlan = subscription.plan.key === "green_plus" ? "fixed_saver" : "green_plus";
      const version = await preferencesVersion();
      const attempts = [
        () => preferences(version),
        () => changePlan(t.db, agent, { ...inCall, planKey: otherPlan }),
        () => pauseSubscription(t.db, agent, { ...inCall, reason: "Away for the winter" }),
        () => bankAccount(),
      ];
      for (const attempt of attempts) {
        const refused = await attempt().catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(ConflictError);
        expect((refused as Error).message).toBe(RESTRICTED);
      }
      expect(await preferencesVersion()).toBe(version);
      expect((await customerSubscription(t.db, agent, zoe))!.subscription).toMatchObject({ version: subscription.subscription.version, status: subscription.subscription.status });
      expect(await t.db.select().from(paymentMethods).where(and(eq(paymentMethods.tenantId, zoe.tenantId), eq(paymentMethods.customerId, zoe.id)))).toEqual([]);
    });

    it("is lifted only by a supervisor, with a reason, on the current version", async () => {
      zoe = await reload(zoe);
      expect(liftRestrictionSchema.safeParse({ customerId: zoe.id, version: zoe.version }).error!.issues.map((i) => i.path.join("."))).toEqual(["reason"]);
      expect(liftRestrictionSchema.safeParse({ customerId: zoe.id, version: zoe.version, reason: "done" }).success).toBe(false);
      const input = { customerId: zoe.id, version: zoe.version, reason: "The address has been checked and corrected." };
      await expect(liftRestriction(t.db, agent, input)).rejects.toBeInstanceOf(ForbiddenError);
      await expect(liftRestriction(t.db, supervisor, { ...input, version: zoe.version - 1 })).rejects.toThrow("Someone else changed this customer");
      expect((await reload(zoe)).restricted).toBe(true);
      expect(await liftNotices(zoe)).toEqual([]);
    });

    it("tells the customer in the same transaction: when the lift fails, no notice is left queued", async () => {
      zoe = await reload(zoe);
      await t.db.execute(sql`create function fail_test_lift() returns trigger language plpgsql as $$
        begin if old.restricted and not new.restricted then raise exception 'customers unavailable'; end if; return new; end $$`);
      await t.db.execute(sql`create trigger fail_test_lift before update on customers for each row execute function fail_test_lift()`);
      try {
        await expect(liftRestriction(t.db, supervisor, { customerId: zoe.id, version: zoe.version, reason: "The address has been checked and corrected." })).rejects.toThrow();
      } finally {
        await t.db.execute(sql`drop trigger fail_test_lift on customers`);
        await t.db.execute(sql`drop function fail_test_lift()`);
      }
      expect(await liftNotices(zoe)).toEqual([]);
      expect((await reload(zoe)).restricted).toBe(true);
    });

    it("once lifted (the customer told first), the check answers by consent again and changes are allowed", async () => {
      zoe = await reload(zoe);
      const reason = "The address has been checked and corrected.";
      const lifted = await liftRestriction(t.db, supervisor, { customerId: zoe.id, version: zoe.version, reason });
      expect(lifted).toMatchObject({ restricted: false, version: zoe.version + 1 });
      const [notice] = await liftNotices(zoe);
      expect(notice).toMatchObject({ channel: "email", recipient: "zoe.bronte@example.co.uk" });
      expect(notice!.body).toContain(reason);
      const [audit] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.customerId, zoe.id), eq(auditEvents.action, "customer.restriction_lifted")));
      // The supervisor's words went to the customer; the audit points at that message and keeps no typed text.
      expect(audit).toMatchObject({ actorId: supervisor.id, reason: `reason given to the customer in the lifting notice (message ${notice!.id})`, after: { restricted: false, customerTold: "email" } });
      expect(JSON.stringify(audit)).not.toContain("zoe.bronte");
      expect(JSON.stringify(audit)).not.toContain("checked and corrected");

      expect(await marketingEmail(zoe)).toMatchObject({ allowed: true, reason: "granted" });
      // The very changes refused above now go through: they were refused for the restriction alone.
      const saved = await preferences(await preferencesVersion());
      expect(saved.topicKeys).toEqual(["tariff_news"]);
      expect((await bankAccount()).last4).toBe("5432");
      await expect(liftRestriction(t.db, supervisor, { customerId: zoe.id, version: lifted.version, reason })).rejects.toThrow("not restricted");
    });
  });

  it("applies at once when logged on a call with the caller strongly verified", async () => {
    const mohammed = await customerByRef(t.db, "acme", "ACME-0004");
    const call = await freshCall(t.db, agent, mohammed);
    await verifyStrongly(t.db, agent, call, "1969-01-21");
    const request = await logPrivacyRequest(t.db, agent, logRequestSchema.parse({ interactionId: call.id, customerId: mohammed.id, type: "restriction", customerWords: "Stop using my data until you fix my date of birth" }));
    expect(request.status).toBe("open");
    expect((await reload(mohammed)).restricted).toBe(true);
    expect((await checkConsent(t.db, mohammed.tenantId, { customer: mohammed.ref, purpose: "marketing", channel: "sms" })).reason).toBe("restricted");
  });

  it("is not lifted when the customer cannot be told: no email or phone on file", async () => {
    await putCustomer(t.db, acmeKey, acmeKey.tenantId, "ACME-9001", { name: "Nobody Reachable" });
    const unreachable = await customerByRef(t.db, "acme", "ACME-9001");
    expect(unreachable).toMatchObject({ email: null, phone: null });
    await restrictThroughTheQueue(unreachable);
    const restricted = await reload(unreachable);
    expect(restricted.restricted).toBe(true);
    const refused = await liftRestriction(t.db, supervisor, { customerId: restricted.id, version: restricted.version, reason: "The disputed record was corrected." }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConflictError);
    expect((refused as Error).message).toContain("no email or phone on file");
    expect(await reload(unreachable)).toMatchObject({ restricted: true, version: restricted.version });
    expect(await liftNotices(unreachable)).toEqual([]);
  });

  it("refusing a restriction request lifts the restriction it placed, in the same step, and the refusal says so", async () => {
    const tomasz = await customerByRef(t.db, "acme", "ACME-0010");
    const call = await freshCall(t.db, agent, tomasz);
    await verifyStrongly(t.db, agent, call, "1986-06-15");
    const request = await logPrivacyRequest(t.db, agent, logRequestSchema.parse({ interactionId: call.id, customerId: tomasz.id, type: "restriction", customerWords: "My address is wrong, stop using my data" }));
    expect((await reload(tomasz)).restricted).toBe(true);
    const refused = await rejectRequest(t.db, supervisor, { requestId: request.id, version: request.version, ground: "manifestly_unfounded", reason: "The address was confirmed correct by the customer last week" });
    expect(refused.status).toBe("rejected");
    expect(refused.rejectionResponse).toContain("The restriction we placed on the use of your personal data while we considered your request is therefore lifted.");
    expect(await reload(tomasz)).toMatchObject({ restricted: false });
    expect(await marketingEmail(tomasz)).not.toMatchObject({ reason: "restricted" });
    const [lifted] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.customerId, tomasz.id), eq(auditEvents.action, "customer.restriction_lifted")));
    expect(lifted).toMatchObject({ actorId: supervisor.id, before: { restricted: true }, after: { restricted: false, customerTold: "email" } });
    expect(lifted!.reason).toContain(`privacy request ${request.id} refused`);
  });

  it("refusing a later restriction request leaves in place the restriction an earlier one placed", async () => {
    const gwen = await customerByRef(t.db, "acme", "ACME-0005");
    const call = await freshCall(t.db, agent, gwen);
    await verifyStrongly(t.db, agent, call, "1995-05-17");
    const first = await logPrivacyRequest(t.db, agent, logRequestSchema.parse({ interactionId: call.id, customerId: gwen.id, type: "restriction", customerWords: "Stop using my data while you check my address" }));
    await completeRequest(t.db, supervisor, { requestId: first.id, version: first.version, resolution: "Your data is now only stored while the address is checked." });
    const second = await logPrivacyRequest(t.db, agent, logRequestSchema.parse({ interactionId: (await freshCall(t.db, agent, gwen)).id, customerId: gwen.id, type: "restriction", customerWords: "Restrict it again please" }));
    const refused = await rejectRequest(t.db, supervisor, { requestId: second.id, version: second.version, ground: "excessive", reason: "Processing is already restricted at the customer's earlier request." });
    expect(refused.rejectionResponse).not.toContain("is therefore lifted");
    expect((await reload(gwen)).restricted).toBe(true);
  });

  it("refuses to lift the restriction of an erased customer, saying why", async () => {
    const peter = await customerByRef(t.db, "acme", "ACME-0006");
    await t.db.update(customers).set({ status: "erased", restricted: true }).where(and(eq(customers.tenantId, peter.tenantId), eq(customers.id, peter.id)));
    const erased = await reload(peter);
    const refused = await liftRestriction(t.db, supervisor, { customerId: erased.id, version: erased.version, reason: "The customer asked for the restriction to end." }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConflictError);
    expect((refused as Error).message).toContain("This customer's data was erased");
    expect(await reload(peter)).toMatchObject({ restricted: true, version: erased.version });
    expect(await liftNotices(peter)).toEqual([]);
  });
});
