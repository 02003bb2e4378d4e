import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { consentEvents, customers, notices } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor, type ApiKeyActor } from "@/lib/actor";
import { ValidationError } from "@/lib/errors";
import { publishNotice } from "./catalogue";
import { checkConsent } from "./check";
import { recordExternalConsent } from "./record";
import { verifyLedger } from "./verify";

const at = (time: string) => new Date(`2030-03-01T${time}:00Z`);

describe("the consent ledger", () => {
  let t: TestDatabase;
  let acme: string;
  let webForm: ApiKeyActor;
  let marketingNotice: string;
  const record = (body: Record<string, unknown>, now: Date) => recordExternalConsent(t.db, webForm, acme, body, now);
  const check = (customer: string, purpose: string, channel: "email" | "sms" | "phone", when: Date, now = at("12:00")) =>
    checkConsent(t.db, acme, { customer, purpose, channel, at: when }, now);

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    acme = await tenantIdByKey(t.db, "acme");
    webForm = { type: "api_key", id: "00000000-0000-4000-8000-000000000001", name: "web form", tenantId: acme, scopes: ["consent:write"], ip: "203.0.113.5" };
    const [notice] = await t.db.select().from(notices).where(and(eq(notices.tenantId, acme), eq(notices.kind, "web"), sql`'marketing' = any(${notices.purposeKeys})`));
    marketingNotice = notice!.id;
  });
  afterAll(() => t.close());

  it("A11: a withdrawal at 10:00 denies from 10:00 on, a 09:30 audit still sees the 09:00 grant, email is unaffected, history intact", async () => {
    await record({ customer: "ACME-0006", purpose: "marketing", channel: "sms", action: "grant", method: "web", notice: marketingNotice, occurredAt: at("09:00").toISOString() }, at("09:00"));
    await record({ customer: "ACME-0006", purpose: "marketing", channel: "email", action: "grant", method: "web", notice: marketingNotice, occurredAt: at("09:00").toISOString() }, at("09:00"));
    await record({ customer: "ACME-0006", purpose: "marketing", channel: "sms", action: "withdraw", method: "web", occurredAt: at("10:00").toISOString() }, at("10:00"));

    expect(await check("ACME-0006", "marketing", "sms", at("09:30"))).toMatchObject({ allowed: true, reason: "granted" });
    expect(await check("ACME-0006", "marketing", "sms", at("10:00"))).toMatchObject({ allowed: false, reason: "withdrawn" });
    expect(await checkConsent(t.db, acme, { customer: "ACME-0006", purpose: "marketing", channel: "sms" }, at("12:00"))).toMatchObject({ allowed: false, reason: "withdrawn" });
    expect(await check("ACME-0006", "marketing", "email", at("12:00"))).toMatchObject({ allowed: true, reason: "granted" });
    const [{ id: customerId }] = (await t.db.select({ id: customers.id }).from(customers).where(and(eq(customers.tenantId, acme), eq(customers.ref, "ACME-0006")))) as [{ id: string }];
    const history = await t.db.select().from(consentEvents).where(eq(consentEvents.customerId, customerId)).orderBy(consentEvents.chainSeq);
    expect(history.map((e) => `${e.channel}:${e.action}`)).toEqual(["sms:grant", "email:grant", "sms:withdraw"]);
  });

  it("keeps channels apart (a phone grant never allows SMS) and answers no_record and unknown_customer", async () => {
    await record({ customer: "ACME-0007", purpose: "marketing", channel: "phone", action: "grant", method: "ivr", notice: marketingNotice }, at("09:00"));
    expect(await check("ACME-0007", "marketing", "phone", at("11:00"))).toMatchObject({ allowed: true });
    expect(await check("ACME-0007", "marketing", "sms", at("11:00"))).toMatchObject({ allowed: false, reason: "no_record" });
    expect(await check("ACME-9999", "marketing", "sms", at("11:00"))).toMatchObject({ allowed: false, reason: "unknown_customer" });
  });

  it("binds phone consent to the number it was given for", async () => {
    await record({ customer: "ACME-0008", purpose: "marketing", channel: "sms", action: "grant", method: "web", notice: marketingNotice }, at("09:00"));
    expect(await check("ACME-0008", "marketing", "sms", at("09:10"))).toMatchObject({ allowed: true });
    await t.db.update(customers).set({ phone: "+447912345611" }).where(and(eq(customers.tenantId, acme), eq(customers.ref, "ACME-0008")));
    expect(await check("ACME-0008", "marketing", "sms", at("09:20"))).toMatchObject({ allowed: false, reason: "contact_point_changed" });
    // A grant that names another number is for that number.
    await record({ customer: "ACME-0009", purpose: "marketing", channel: "sms", action: "grant", method: "web", notice: marketingNotice, contactPoint: "07912 000111" }, at("09:00"));
    expect(await check("ACME-0009", "marketing", "sms", at("09:10"))).toMatchObject({ allowed: false, reason: "contact_point_changed" });
  });

  it("refuses invalid records with every field named, and a grant without a notice that covers the purpose", async () => {
    const invalid = await record({ customer: "ACME-0006", purpose: "markting", channel: "fax", action: "grant", method: "verbal", occurredAt: "2999-01-01T00:00:00Z" }, at("09:00")).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    const paths = (invalid as ValidationError).fieldErrors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["purpose", "channel", "method", "occurredAt"]));
    const unknownPurpose = await record({ customer: "ACME-0006", purpose: "markting", channel: "sms", action: "grant", method: "web", notice: marketingNotice }, at("09:00")).catch((e: unknown) => e);
    expect((unknownPurpose as ValidationError).fieldErrors).toContainEqual({ path: "purpose", message: "unknown purpose 'markting'" });
    const noNotice = await record({ customer: "ACME-0006", purpose: "marketing", channel: "sms", action: "grant", method: "web" }, at("09:00")).catch((e: unknown) => e);
    expect((noNotice as ValidationError).fieldErrors.map((e) => e.path)).toEqual(["notice"]);
  });

  it("is append-only: UPDATE and DELETE in SQL are refused", async () => {
    const refusal = (statement: ReturnType<typeof sql>) => t.db.execute(statement).then(() => "accepted", (e: { cause?: Error; message: string }) => e.cause?.message ?? e.message);
    expect(await refusal(sql`update consent_events set action = 'grant'`)).toMatch(/consent_events is append-only: UPDATE/);
    expect(await refusal(sql`delete from consent_events`)).toMatch(/consent_events is append-only: DELETE/);
    expect(await refusal(sql`update notices set text = 'something else'`)).toMatch(/notices is append-only: UPDATE/);
  });

  it("verifies its hash chains, and finds an event changed with the trigger disabled", async () => {
    const before = await verifyLedger(t.db, acme);
    expect(before).toMatchObject({ ok: true });
    expect(before.events).toBeGreaterThanOrEqual(6);
    const [target] = await queryRows<{ id: string }>(t.db, sql`select id from consent_events where tenant_id = ${acme} and action = 'withdraw' limit 1`);
    await t.db.execute(sql`alter table consent_events disable trigger consent_events_append_only`);
    await t.db.execute(sql`update consent_events set action = 'grant' where id = ${target!.id}`);
    await t.db.execute(sql`alter table consent_events enable trigger consent_events_append_only`);
    expect(await verifyLedger(t.db, acme)).toMatchObject({ ok: false, brokenEventId: target!.id });
  });

  it("will not publish a notice that does not name the controller, the purpose and how to withdraw (A5)", async () => {
    const admin = systemActor("test");
    const refused = await publishNotice(t.db, admin, acme, { purposeKeys: ["marketing"], kind: "web", language: "en", text: "We would love to send you offers from time to time." }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).fieldErrors[0]!.message).toMatch(/controller's name.*Marketing.*withdraw/);
    const published = await publishNotice(t.db, admin, acme, {
      purposeKeys: ["marketing"],
      kind: "web",
      language: "en",
      text: "Acme Energy, the controller, would like to use your email for Marketing. You can withdraw at any time.",
    });
    expect(published.version).toBe(2);
    expect(published.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
