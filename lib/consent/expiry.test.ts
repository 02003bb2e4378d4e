import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { consentEvents, consentState, type ConsentChannel } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor, type ApiKeyActor } from "@/lib/actor";
import { createPurpose, publishNotice } from "./catalogue";
import { checkConsents } from "./check";
import { sweepExpiredConsents } from "./expiry";
import { recordExternalConsent } from "./record";
import { verifyLedger } from "./verify";

const DAY = 86_400_000;
const granted = new Date("2030-01-01T09:00:00Z");
const CHANNELS: ConsentChannel[] = ["email", "sms", "phone", "post"];

describe("the expiry sweep", () => {
  let t: TestDatabase;
  const tenants: Record<string, { id: string; notice: string; marketingNotice: string; form: ApiKeyActor }> = {};

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    for (const [key, name] of [["acme", "Acme Energy"], ["globex", "Globex Telecom"]] as const) {
      const id = await tenantIdByKey(t.db, key);
      // A purpose whose grants lapse after 30 days.
      await createPurpose(t.db, systemActor("test"), id, { key: "newsletter", name: "Newsletter", legalBasis: "consent", category: "marketing", channels: CHANNELS, validForDays: 30 });
      const notice = await publishNotice(t.db, systemActor("test"), id, { purposeKeys: ["newsletter"], kind: "web", language: "en", text: `${name}, the controller, would like to send you our Newsletter. You can withdraw at any time.` }, granted);
      const [marketing] = await queryRows<{ id: string }>(t.db, sql`select id from notices where tenant_id = ${id} and kind = 'web' and 'marketing' = any(purpose_keys) limit 1`);
      tenants[key] = { id, notice: notice.id, marketingNotice: marketing!.id, form: { type: "api_key", id: "00000000-0000-4000-8000-000000000003", name: "web form", tenantId: id, scopes: ["consent:write"], ip: null } };
    }
  });
  afterAll(() => t.close());

  const grant = (tenant: string, customer: string, purpose: string, channel: ConsentChannel, at: Date) => {
    const { id, form, notice, marketingNotice } = tenants[tenant]!;
    return recordExternalConsent(t.db, form, id, { customer, purpose, channel, action: "grant", method: "ivr", notice: purpose === "newsletter" ? notice : marketingNotice, occurredAt: at.toISOString() }, at);
  };
  const dueGrants = async (now: Date) => {
    const [row] = await queryRows<{ n: number | string }>(t.db, sql`select count(*) as n from consent_state where status = 'granted' and valid_until <= ${now.toISOString()}::timestamptz`);
    return Number(row!.n);
  };
  const purposeOf = new Map<string, string>();
  const lapsedPurpose = (eventId: string) => purposeOf.get(eventId)!;
  const expireEvents = (tenantId: string) => t.db.select().from(consentEvents).where(and(eq(consentEvents.tenantId, tenantId), eq(consentEvents.action, "expire")));

  it("expires each lapsed grant once, as it stood at its end date, and nothing else; checks say `expired` before and after", async () => {
    const acme = tenants.acme!;
    const lapsedA = await grant("acme", "ACME-0001", "newsletter", "email", granted);
    const lapsedB = await grant("acme", "ACME-0002", "newsletter", "post", granted);
    const [grantEvent] = await t.db.select().from(consentEvents).where(and(eq(consentEvents.tenantId, acme.id), eq(consentEvents.id, lapsedA.event.id)));
    purposeOf.set(lapsedA.event.id, grantEvent!.purposeId);
    await grant("acme", "ACME-0003", "newsletter", "email", new Date(granted.getTime() + 20 * DAY)); // still valid
    await grant("acme", "ACME-0004", "marketing", "post", granted); // no end date
    const now = new Date(granted.getTime() + 31 * DAY);
    const ask = async () =>
      (
        await checkConsents(
          t.db,
          acme.id,
          {
            checks: [
              { customer: "ACME-0001", purpose: "newsletter", channel: "email" },
              { customer: "ACME-0002", purpose: "newsletter", channel: "post" },
              { customer: "ACME-0003", purpose: "newsletter", channel: "email" },
              { customer: "ACME-0004", purpose: "marketing", channel: "post" },
            ],
          },
          now,
        )
      ).map((r) => r.reason);

    expect(await ask()).toEqual(["expired", "expired", "granted", "granted"]);
    // The demo may hold lapsed grants of its own: every one is swept, these two among them.
    const due = await dueGrants(now);
    expect(due).toBeGreaterThanOrEqual(2);
    expect(await sweepExpiredConsents(t.db, now, 100)).toBe(due);
    expect(await ask()).toEqual(["expired", "expired", "granted", "granted"]);

    const events = (await expireEvents(acme.id)).filter((e) => e.purposeId === lapsedPurpose(lapsedA.event.id));
    expect(events).toHaveLength(2);
    for (const [lapsed, channel] of [[lapsedA, "email"], [lapsedB, "post"]] as const) {
      const event = events.find((e) => e.channel === channel)!;
      expect(event).toMatchObject({ method: "ivr", capturedByType: "system", noticeId: null, validUntil: null });
      expect(event.occurredAt.toISOString()).toBe(lapsed.event.validUntil);
    }
    // The projection now says expired, from the expire event.
    const states = await t.db
      .select()
      .from(consentState)
      .where(and(eq(consentState.tenantId, acme.id), eq(consentState.purposeId, lapsedPurpose(lapsedA.event.id)), eq(consentState.status, "expired")));
    expect(states.map((s) => s.eventId).sort()).toEqual(events.map((e) => e.id).sort());

    const before = (await expireEvents(acme.id)).length;
    expect(await sweepExpiredConsents(t.db, now, 100)).toBe(0);
    expect(await expireEvents(acme.id)).toHaveLength(before);
    expect(await verifyLedger(t.db, acme.id)).toMatchObject({ ok: true });
  });

  it("never expires a grant twice when sweeps run side by side", async () => {
    const globex = tenants.globex!;
    const refs = Array.from({ length: 10 }, (_, i) => `GLX-${String(i + 1).padStart(4, "0")}`);
    // Not email: globex may confirm email grants by double opt-in, and a pending grant never lapses.
    const channels = CHANNELS.filter((c) => c !== "email");
    for (const ref of refs) for (const channel of channels) await grant("globex", ref, "newsletter", channel, granted);
    const now = new Date(granted.getTime() + 40 * DAY);
    const due = await dueGrants(now);
    expect(due).toBeGreaterThanOrEqual(refs.length * channels.length);
    const sweepUntilDone = async () => {
      let total = 0;
      for (;;) {
        const expired = await sweepExpiredConsents(t.db, now, 3);
        if (expired === 0) return total;
        total += expired;
      }
    };
    const [first, second, third] = await Promise.all([sweepUntilDone(), sweepUntilDone(), sweepUntilDone()]);
    expect(first + second + third).toBe(due);
    expect(await dueGrants(now)).toBe(0);
    const perGrant = await queryRows<{ n: number | string }>(
      t.db,
      sql`select count(*) as n from consent_events where tenant_id = ${globex.id} and action = 'expire' group by customer_id, purpose_id, channel`,
    );
    expect(perGrant.length).toBeGreaterThanOrEqual(refs.length * channels.length);
    expect(perGrant.every((r) => Number(r.n) === 1)).toBe(true);
    expect(await verifyLedger(t.db, globex.id)).toMatchObject({ ok: true });
  });
});
