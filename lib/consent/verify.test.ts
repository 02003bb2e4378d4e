import { and, desc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { auditEvents, notices } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { ApiKeyActor, StaffActor } from "@/lib/actor";
import { ForbiddenError, NotFoundError } from "@/lib/errors";
import { createTenant } from "@/lib/tenants/tenants";
import { recordExternalConsent } from "./record";
import { verifyLedger, verifyTenantLedger } from "./verify";

const at = (minute: number) => new Date(Date.UTC(2030, 2, 1, 9, minute));

describe("ledger verification", () => {
  let t: TestDatabase;
  let acme: string;
  let globex: string;
  let supervisor: StaffActor;
  /** The tenant's ledger as SQL counts it (the demo seed records consents of its own). */
  const size = async (tenantId: string) => {
    const [row] = await queryRows<{ events: number | string; customers: number | string }>(
      t.db,
      sql`select count(*) as events, count(distinct customer_id) as customers from consent_events where tenant_id = ${tenantId}`,
    );
    return { events: Number(row!.events), customers: Number(row!.customers) };
  };

  /** Events in chain order (customer, then position), as verification reads them. */
  const chain = (tenantId: string) =>
    queryRows<{ id: string; customer_id: string; chain_seq: number }>(t.db, sql`select id, customer_id, chain_seq from consent_events where tenant_id = ${tenantId} order by customer_id, chain_seq`);
  /** What a database administrator could do behind the application's back. */
  const tamper = async (statement: ReturnType<typeof sql>) => {
    await t.db.execute(sql`alter table consent_events disable trigger consent_events_append_only`);
    try {
      await t.db.execute(statement);
    } finally {
      await t.db.execute(sql`alter table consent_events enable trigger consent_events_append_only`);
    }
  };

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    acme = await tenantIdByKey(t.db, "acme");
    globex = await tenantIdByKey(t.db, "globex");
    supervisor = await signedInStaff(t.db, "supervisor@demo.test");
    // 4 customers × 3 more events in each tenant: more than several pages of 5.
    for (const [tenantId, prefix] of [[acme, "ACME"], [globex, "GLX"]] as const) {
      const apiKey: ApiKeyActor = { type: "api_key", id: "00000000-0000-4000-8000-000000000003", name: "import", tenantId, scopes: ["consent:write"], ip: null };
      const [notice] = await t.db.select().from(notices).where(and(eq(notices.tenantId, tenantId), eq(notices.kind, "web"), sql`'marketing' = any(${notices.purposeKeys})`));
      for (let c = 1; c <= 4; c++) {
        const customer = `${prefix}-000${c}`;
        await recordExternalConsent(t.db, apiKey, tenantId, { customer, purpose: "marketing", channel: "email", action: "grant", method: "web", notice: notice!.id, occurredAt: at(c).toISOString() }, at(30));
        await recordExternalConsent(t.db, apiKey, tenantId, { customer, purpose: "marketing", channel: "post", action: "refuse", method: "web", occurredAt: at(c + 1).toISOString() }, at(30));
        await recordExternalConsent(t.db, apiKey, tenantId, { customer, purpose: "marketing", channel: "email", action: "withdraw", method: "web", occurredAt: at(c + 2).toISOString() }, at(30));
      }
    }
  });
  afterAll(() => t.close());

  it("reads the ledger a page at a time and counts the same whatever the page size", async () => {
    const whole = await size(acme);
    expect(whole.events).toBeGreaterThanOrEqual(12);
    for (const pageSize of [1, 2, 5, whole.events - 1, whole.events, whole.events + 1, 5_000]) {
      expect(await verifyLedger(t.db, acme, { pageSize })).toEqual({ ok: true, ...whole });
    }
    expect(await verifyLedger(t.db, "00000000-0000-4000-8000-00000000beef")).toEqual({ ok: true, events: 0, customers: 0 });
  });

  it("finds an event removed at the end of a page through the link of the first event of the next page", async () => {
    const events = await chain(globex);
    const whole = await size(globex);
    // The first event followed by another of the same customer, and at least one page of 2 in.
    const i = events.findIndex((e, n) => n >= 1 && events[n + 1]?.customer_id === e.customer_id);
    const [removed, next] = [events[i]!, events[i + 1]!];
    await tamper(sql`delete from consent_events where tenant_id = ${globex} and id = ${removed.id}`);
    // Pages of i end with the removed event's predecessor, so the gap falls between two pages.
    for (const pageSize of [i, i + 1, 5_000]) {
      expect(await verifyLedger(t.db, globex, { pageSize })).toEqual({ ok: false, events: whole.events - 1, customers: whole.customers, brokenEventId: next.id });
    }
  });

  it("finds an event altered with the trigger disabled, on a later page, and leaves other tenants' ledgers intact", async () => {
    const events = await chain(acme);
    const target = events[7]!;
    await tamper(sql`update consent_events set occurred_at = occurred_at - interval '1 day' where tenant_id = ${acme} and id = ${target.id}`);
    expect(await verifyLedger(t.db, acme, { pageSize: 3 })).toEqual({ ok: false, ...(await size(acme)), brokenEventId: target.id });
    expect(await verifyLedger(t.db, acme)).toMatchObject({ ok: false, brokenEventId: target.id });
  });

  it("the supervisor's Verify ledger audits each run: success with counts, failure naming the broken event", async () => {
    const newTenant = await createTenant(t.db, await signedInStaff(t.db, "admin@demo.test"), { key: "initech", name: "Initech", rulePacks: ["ccpa"], defaultCountry: "US", knowledgeOnlyStrong: false, emailDoubleOptIn: false });
    const ok = await verifyTenantLedger(t.db, supervisor, { tenantId: newTenant.id }).catch((e: unknown) => e);
    expect(ok).toBeInstanceOf(NotFoundError); // not a tenant the supervisor works for

    const broken = await verifyTenantLedger(t.db, supervisor, { tenantId: acme });
    const target = (await chain(acme))[7]!;
    expect(broken).toMatchObject({ ok: false, brokenEventId: target.id, broken: { id: target.id, customerId: target.customer_id } });
    const [truth] = await queryRows<{ channel: string }>(t.db, sql`select channel from consent_events where tenant_id = ${acme} and id = ${target.id}`);
    expect(broken.broken!.channel).toBe(truth!.channel);
    expect(broken.broken!.customerRef).toMatch(/^ACME-\d{4}$/);
    expect(broken.broken!.purpose).toEqual(expect.any(String));
    expect(broken.broken!.occurredAt).toBeInstanceOf(Date);
    const [failure] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.tenantId, acme), eq(auditEvents.action, "consent.ledger_verified"))).orderBy(desc(auditEvents.at));
    expect(failure).toMatchObject({ outcome: "failure", actorId: supervisor.id, entityId: target.id, customerId: target.customer_id });
    const whole = await size(acme);
    expect(failure!.after).toMatchObject({ ok: false, ...whole, brokenEventId: target.id });

    // Restore the event as it was: the chain verifies again, and the run is audited as a success.
    await tamper(sql`update consent_events set occurred_at = occurred_at + interval '1 day' where tenant_id = ${acme} and id = ${target.id}`);
    expect(await verifyTenantLedger(t.db, supervisor, { tenantId: acme })).toMatchObject({ ok: true, ...whole, broken: null });
    const runs = await t.db.select().from(auditEvents).where(and(eq(auditEvents.tenantId, acme), eq(auditEvents.action, "consent.ledger_verified"))).orderBy(desc(auditEvents.at));
    expect(runs.map((r) => r.outcome)).toEqual(["success", "failure"]);
    expect(runs[0]!.after).toEqual({ ok: true, ...whole });
  });

  it("is refused to agents", async () => {
    const agent = await signedInStaff(t.db, "agent@demo.test");
    await expect(verifyTenantLedger(t.db, agent, { tenantId: acme })).rejects.toBeInstanceOf(ForbiddenError);
    expect((await t.db.select().from(auditEvents).where(and(eq(auditEvents.action, "consent.ledger_verified"), eq(auditEvents.actorId, agent.id)))).length).toBe(0);
  });
});
