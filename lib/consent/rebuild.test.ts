import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { auditEvents, consentState, customers, notices, purposes } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor, type ApiKeyActor } from "@/lib/actor";
import { ConflictError, ForbiddenError } from "@/lib/errors";
import { rebuildConsentState } from "./rebuild";
import { recordExternalConsent } from "./record";

const at = (hour: number, minute = 0) => new Date(Date.UTC(2030, 2, 1, hour, minute));

describe("rebuilding the consent projection from the ledger", () => {
  let t: TestDatabase;
  let acme: string;
  let globex: string;
  const system = systemActor("test rebuild");
  const state = async (tenantId: string, ref: string, purpose: string, channel: "email" | "sms" | "phone" | "post") => {
    const [row] = await t.db
      .select({ status: consentState.status, eventId: consentState.eventId, since: consentState.since })
      .from(consentState)
      .innerJoin(customers, and(eq(customers.tenantId, consentState.tenantId), eq(customers.id, consentState.customerId)))
      .innerJoin(purposes, and(eq(purposes.tenantId, consentState.tenantId), eq(purposes.id, consentState.purposeId)))
      .where(and(eq(consentState.tenantId, tenantId), eq(customers.ref, ref), eq(purposes.key, purpose), eq(consentState.channel, channel)));
    return row ?? null;
  };
  const keyOf = async (tenantId: string, ref: string, purpose: string) => {
    const [c] = await t.db.select({ id: customers.id }).from(customers).where(and(eq(customers.tenantId, tenantId), eq(customers.ref, ref)));
    const [p] = await t.db.select({ id: purposes.id }).from(purposes).where(and(eq(purposes.tenantId, tenantId), eq(purposes.key, purpose)));
    return { customerId: c!.id, purposeId: p!.id };
  };

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    acme = await tenantIdByKey(t.db, "acme");
    globex = await tenantIdByKey(t.db, "globex");
    const apiKey: ApiKeyActor = { type: "api_key", id: "00000000-0000-4000-8000-000000000004", name: "import", tenantId: acme, scopes: ["consent:write"], ip: null };
    const [notice] = await t.db.select().from(notices).where(and(eq(notices.tenantId, acme), eq(notices.kind, "web"), sql`'marketing' = any(${notices.purposeKeys})`));
    const record = (body: Record<string, unknown>, now: Date) => recordExternalConsent(t.db, apiKey, acme, { purpose: "marketing", method: "import", ...body }, now);
    // A back-dated withdrawal recorded after a newer grant does not overturn it (latest occurredAt wins)…
    await record({ customer: "ACME-0010", channel: "email", action: "grant", notice: notice!.id, occurredAt: at(10).toISOString() }, at(10));
    await record({ customer: "ACME-0010", channel: "email", action: "withdraw", occurredAt: at(9).toISOString() }, at(11));
    // …and of two events that happened at the same moment, the later appended wins.
    await record({ customer: "ACME-0011", channel: "sms", action: "grant", notice: notice!.id, occurredAt: at(10).toISOString() }, at(10));
    await record({ customer: "ACME-0011", channel: "sms", action: "refuse", occurredAt: at(10).toISOString() }, at(10, 5));
    await record({ customer: "ACME-0011", channel: "post", action: "grant", notice: notice!.id, occurredAt: at(10).toISOString() }, at(10));
    await record({ customer: "ACME-0012", channel: "email", action: "grant", notice: notice!.id, occurredAt: at(8).toISOString() }, at(8));
  });
  afterAll(() => t.close());

  it("finds nothing to repair in a projection kept by the application, whose rule it follows", async () => {
    expect(await state(acme, "ACME-0010", "marketing", "email")).toMatchObject({ status: "granted", since: at(10) });
    expect(await state(acme, "ACME-0011", "marketing", "sms")).toMatchObject({ status: "refused" });
    const report = await rebuildConsentState(t.db, system, { apply: false });
    expect(report).toMatchObject({ applied: false, missing: 0, extra: 0, different: 0, differences: [] });
    const [{ n }] = (await queryRows<{ n: number | string }>(t.db, sql`select count(*) as n from consent_state`)) as [{ n: number | string }];
    expect(Number(n)).toBeGreaterThanOrEqual(4);
  });

  it("reports exactly a deleted row, a changed status and a row the ledger does not explain; apply repairs them, audited, and a second run finds none", async () => {
    const granted = (await state(acme, "ACME-0010", "marketing", "email"))!;
    const refused = (await state(acme, "ACME-0011", "marketing", "sms"))!;
    const deletedKey = await keyOf(acme, "ACME-0010", "marketing");
    const changedKey = await keyOf(acme, "ACME-0011", "marketing");
    const extraKey = await keyOf(acme, "ACME-0012", "profiling");
    await t.db.execute(sql`delete from consent_state where tenant_id = ${acme} and customer_id = ${deletedKey.customerId} and purpose_id = ${deletedKey.purposeId} and channel = 'email'`);
    await t.db.execute(sql`update consent_state set status = 'granted' where tenant_id = ${acme} and customer_id = ${changedKey.customerId} and purpose_id = ${changedKey.purposeId} and channel = 'sms'`);
    await t.db.insert(consentState).values({ tenantId: acme, ...extraKey, channel: "email", status: "granted", eventId: "00000000-0000-4000-8000-0000000000ee", since: at(7) });

    const report = await rebuildConsentState(t.db, system, { tenantId: acme, apply: false });
    expect(report).toMatchObject({ tenantId: acme, applied: false, missing: 1, extra: 1, different: 1 });
    const byKind = Object.fromEntries(report.differences.map((d) => [d.kind, d]));
    expect(byKind.missing).toMatchObject({ tenantId: acme, ...deletedKey, purpose: "marketing", channel: "email", found: null, expected: { status: "granted", eventId: granted.eventId, since: at(10).toISOString() } });
    expect(byKind.different).toMatchObject({ ...changedKey, purpose: "marketing", channel: "sms", expected: { status: "refused", eventId: refused.eventId }, found: { status: "granted", eventId: refused.eventId } });
    expect(byKind.extra).toMatchObject({ ...extraKey, purpose: "profiling", channel: "email", expected: null, found: { status: "granted", eventId: "00000000-0000-4000-8000-0000000000ee" } });
    // Nothing changed without apply; the listing can be cut short while the counts stay whole.
    expect(await state(acme, "ACME-0010", "marketing", "email")).toBeNull();
    expect(await rebuildConsentState(t.db, system, { apply: false, listLimit: 1 })).toMatchObject({ missing: 1, extra: 1, different: 1, differences: [expect.anything()] });
    // Another tenant's projection is not this one's business.
    expect(await rebuildConsentState(t.db, system, { tenantId: globex, apply: false })).toMatchObject({ missing: 0, extra: 0, different: 0 });

    const admin = await signedInStaff(t.db, "admin@demo.test");
    const repaired = await rebuildConsentState(t.db, admin, { tenantId: acme, apply: true });
    expect(repaired).toMatchObject({ applied: true, missing: 1, extra: 1, different: 1 });
    expect(await state(acme, "ACME-0010", "marketing", "email")).toEqual(granted);
    expect(await state(acme, "ACME-0011", "marketing", "sms")).toEqual(refused);
    expect(await state(acme, "ACME-0012", "profiling", "email")).toBeNull();
    expect(await rebuildConsentState(t.db, system, { apply: false })).toMatchObject({ missing: 0, extra: 0, different: 0, differences: [] });

    const audits = await t.db.select().from(auditEvents).where(eq(auditEvents.action, "consent.state_rebuilt"));
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ tenantId: acme, actorId: admin.id, outcome: "success", after: { scope: "tenant", missing: 1, extra: 1, different: 1 } });
  });

  it("repairs every tenant at once when no tenant is named", async () => {
    const key = await keyOf(globex, "GLX-0001", "marketing");
    await t.db.insert(consentState).values({ tenantId: globex, ...key, channel: "phone", status: "granted", eventId: "00000000-0000-4000-8000-0000000000ef", since: at(7) });
    expect(await rebuildConsentState(t.db, system, { apply: true })).toMatchObject({ tenantId: null, applied: true, missing: 0, extra: 1, different: 0 });
    expect(await rebuildConsentState(t.db, system, { apply: false })).toMatchObject({ missing: 0, extra: 0, different: 0 });
  });

  it("refuses to repair from a ledger that does not verify, and changes nothing", async () => {
    const key = await keyOf(globex, "GLX-0001", "marketing");
    await t.db.insert(consentState).values({ tenantId: globex, ...key, channel: "phone", status: "granted", eventId: "00000000-0000-4000-8000-0000000000ee", since: at(7) });
    const [victim] = await queryRows<{ id: string; recording_ref: string | null }>(t.db, sql`select id, recording_ref from consent_events where tenant_id = ${globex} order by recorded_at limit 1`);
    await t.db.execute(sql`alter table consent_events disable trigger consent_events_append_only`);
    await t.db.execute(sql`update consent_events set recording_ref = 'edited behind the application' where tenant_id = ${globex} and id = ${victim!.id}`);
    await expect(rebuildConsentState(t.db, system, { tenantId: globex, apply: true })).rejects.toBeInstanceOf(ConflictError);
    expect(await rebuildConsentState(t.db, system, { tenantId: globex, apply: false })).toMatchObject({ extra: 1 });
    await t.db.execute(sql`update consent_events set recording_ref = ${victim!.recording_ref} where tenant_id = ${globex} and id = ${victim!.id}`);
    await t.db.execute(sql`alter table consent_events enable trigger consent_events_append_only`);
    expect(await rebuildConsentState(t.db, system, { tenantId: globex, apply: true })).toMatchObject({ applied: true, extra: 1 });
  });

  it("is for admins and the system only", async () => {
    for (const email of ["agent@demo.test", "supervisor@demo.test"]) {
      await expect(rebuildConsentState(t.db, await signedInStaff(t.db, email), { apply: false })).rejects.toBeInstanceOf(ForbiddenError);
    }
    const apiKey: ApiKeyActor = { type: "api_key", id: "00000000-0000-4000-8000-000000000005", name: "k", tenantId: acme, scopes: ["audit:read"], ip: null };
    await expect(rebuildConsentState(t.db, apiKey, { tenantId: acme, apply: true })).rejects.toBeInstanceOf(ForbiddenError);
  });
});
