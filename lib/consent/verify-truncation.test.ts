import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notices } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { ApiKeyActor } from "@/lib/actor";
import { checkConsent } from "./check";
import { recordExternalConsent } from "./record";
import { verifyLedger } from "./verify";

describe("a ledger whose newest event was cut off", () => {
  let t: TestDatabase;
  let acme: string;

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    acme = await tenantIdByKey(t.db, "acme");
  });
  afterAll(() => t.close());

  it("is found by verify through the current state, although the remaining chain still links up", async () => {
    const apiKey: ApiKeyActor = { type: "api_key", id: "00000000-0000-4000-8000-000000000007", name: "crm", tenantId: acme, scopes: ["consent:write"], ip: null };
    const [notice] = await t.db.select().from(notices).where(and(eq(notices.tenantId, acme), eq(notices.kind, "web"), sql`'marketing' = any(${notices.purposeKeys})`));
    const record = (action: "grant" | "withdraw", occurredAt: string) =>
      recordExternalConsent(t.db, apiKey, acme, { customer: "ACME-0010", purpose: "marketing", channel: "sms", action, method: "web", notice: action === "grant" ? notice!.id : undefined, occurredAt }, new Date("2026-11-01T12:00:00Z"));
    await record("grant", "2026-11-01T09:00:00Z");
    const { event: withdrawal } = await record("withdraw", "2026-11-01T10:00:00Z");
    expect(await verifyLedger(t.db, acme)).toMatchObject({ ok: true });

    // A database administrator deletes the withdrawal: the chain ends one event earlier, intact.
    await t.db.execute(sql`alter table consent_events disable trigger consent_events_append_only`);
    await t.db.execute(sql`delete from consent_events where tenant_id = ${acme} and id = ${withdrawal.id}`);
    await t.db.execute(sql`alter table consent_events enable trigger consent_events_append_only`);

    expect(await verifyLedger(t.db, acme)).toMatchObject({ ok: false, brokenEventId: withdrawal.id });
    // The check still answers from the current state: the customer stays withdrawn, not granted again.
    expect(await checkConsent(t.db, acme, { customer: "ACME-0010", purpose: "marketing", channel: "sms" })).toMatchObject({ allowed: false, reason: "withdrawn" });
  });
});
