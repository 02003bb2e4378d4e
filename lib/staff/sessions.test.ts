import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PASSWORD, DEMO_TOTP_SECRET } from "@/db/demo-data";
import { auditEvents, staffSessions, staffTenants, staffUsers } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { StaffActor } from "@/lib/actor";
import { SESSION_IDLE_MS, SESSION_MAX_AGE_MS } from "./policy";
import { totpCode } from "./second-factor";
import { endSession, resolveSession } from "./sessions";
import { passSecondFactor, signIn } from "./sign-in";
import { createStaff, updateStaff } from "./staff";

const MINUTE = 60 * 1000;

describe("staff sessions", () => {
  let t: TestDatabase;
  let admin: StaffActor;
  let acmeId: string;
  let globexId: string;

  /** Signs `email` in at `now` (with the demo authenticator's code where asked) and returns the session id. */
  async function sessionOf(email: string, now = new Date()): Promise<string> {
    const first = await signIn(t.db, email, DEMO_PASSWORD, "192.0.2.10", now);
    const result =
      first.outcome === "second-factor"
        ? await passSecondFactor(t.db, first.challengeId, { kind: "code", code: totpCode(DEMO_TOTP_SECRET, now) }, "192.0.2.10", now)
        : first;
    if (result.outcome !== "signed-in") throw new Error(`could not sign in ${email}`);
    return result.sessionId;
  }

  async function sessionRow(id: string) {
    const [row] = await t.db.select().from(staffSessions).where(eq(staffSessions.id, id));
    return row!;
  }

  /** A fresh agent of acme, so that changing it does not disturb the other tests. */
  let serial = 0;
  async function newAgent(): Promise<{ id: string; email: string; name: string }> {
    const email = `temp.agent.${++serial}@demo.test`;
    const name = `Temp Agent ${serial}`;
    const { id } = await createStaff(t.db, admin, { email, name, role: "agent", password: DEMO_PASSWORD, tenantIds: [acmeId] });
    return { id, email, name };
  }

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    acmeId = await tenantIdByKey(t.db, "acme");
    globexId = await tenantIdByKey(t.db, "globex");
    const actor = await resolveSession(t.db, await sessionOf("admin@demo.test"), "192.0.2.10");
    if (!actor) throw new Error("no admin session");
    admin = actor;
  });
  afterAll(() => t?.close());

  it("resolves a live session to the staff member, read from the database", async () => {
    const agent = await newAgent();
    const sessionId = await sessionOf(agent.email);
    const actor = await resolveSession(t.db, sessionId, "192.0.2.11");
    expect(actor).toEqual({
      type: "staff",
      id: agent.id,
      email: agent.email,
      name: agent.name,
      role: "agent",
      platformAdmin: false,
      tenantIds: [acmeId],
      sessionId,
      ip: "192.0.2.11",
    });
  });

  it("refuses a malformed or unknown session id", async () => {
    expect(await resolveSession(t.db, "not-a-session", null)).toBeNull();
    expect(await resolveSession(t.db, "00000000-0000-4000-8000-000000000000", null)).toBeNull();
  });

  describe("a deactivated agent", () => {
    it("is refused on the next request, though the session has not expired", async () => {
      const agent = await newAgent();
      const sessionId = await sessionOf(agent.email);
      expect(await resolveSession(t.db, sessionId, null)).not.toBeNull();

      // Only the flag changes: the session row itself is still open and young.
      await t.db.update(staffUsers).set({ active: false }).where(eq(staffUsers.id, agent.id));
      const row = await sessionRow(sessionId);
      expect(row.endedAt).toBeNull();
      expect(await resolveSession(t.db, sessionId, null)).toBeNull();

      // Reactivated, the same session works again: it was the account that was refused.
      await t.db.update(staffUsers).set({ active: true }).where(eq(staffUsers.id, agent.id));
      expect(await resolveSession(t.db, sessionId, null)).not.toBeNull();
    });

    it("deactivated by an admin, has every open session ended, and the change audited", async () => {
      const agent = await newAgent();
      const first = await sessionOf(agent.email);
      const second = await sessionOf(agent.email);
      await updateStaff(t.db, admin, { staffId: agent.id, role: "agent", tenantIds: [acmeId], active: false });
      expect(await resolveSession(t.db, first, null)).toBeNull();
      expect(await resolveSession(t.db, second, null)).toBeNull();
      expect((await sessionRow(first)).endedAt).not.toBeNull();
      expect((await sessionRow(second)).endedAt).not.toBeNull();
      const events = await t.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.entityId, agent.id), eq(auditEvents.action, "staff.deactivated")));
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ actorId: admin.id, before: { active: true }, after: { active: false } });
    });
  });

  it("sees a role change and a change of tenants on the next resolveSession", async () => {
    const agent = await newAgent();
    const sessionId = await sessionOf(agent.email);
    expect(await resolveSession(t.db, sessionId, null)).toMatchObject({ role: "agent", tenantIds: [acmeId] });

    await updateStaff(t.db, admin, { staffId: agent.id, role: "supervisor", tenantIds: [acmeId, globexId], active: true });
    const after = await resolveSession(t.db, sessionId, null);
    expect(after?.role).toBe("supervisor");
    expect(after?.tenantIds.sort()).toEqual([acmeId, globexId].sort());

    await updateStaff(t.db, admin, { staffId: agent.id, role: "agent", tenantIds: [globexId], active: true });
    expect(await resolveSession(t.db, sessionId, null)).toMatchObject({ role: "agent", tenantIds: [globexId] });
    const links = await t.db.select().from(staffTenants).where(eq(staffTenants.staffId, agent.id));
    expect(links.map((l) => l.tenantId)).toEqual([globexId]);
  });

  describe("expiry", () => {
    it(`refuses a session idle for more than ${SESSION_IDLE_MS / MINUTE} minutes, and ends it`, async () => {
      const t0 = new Date();
      const sessionId = await sessionOf("agent@demo.test", t0);
      const at = (ms: number) => new Date(t0.getTime() + ms);
      expect(await resolveSession(t.db, sessionId, null, at(SESSION_IDLE_MS - MINUTE))).not.toBeNull();
      // That request counted as activity: 29 more minutes is still within the idle limit.
      expect(await resolveSession(t.db, sessionId, null, at(2 * SESSION_IDLE_MS - 2 * MINUTE))).not.toBeNull();
      // Then 30 minutes and a second of silence.
      const idleFrom = at(2 * SESSION_IDLE_MS - 2 * MINUTE);
      expect(await resolveSession(t.db, sessionId, null, new Date(idleFrom.getTime() + SESSION_IDLE_MS + 1000))).toBeNull();
      expect((await sessionRow(sessionId)).endedAt).not.toBeNull();
      // Ended for good: going back to a time it was alive does not revive it.
      expect(await resolveSession(t.db, sessionId, null, at(MINUTE))).toBeNull();
    });

    it(`refuses a session older than ${SESSION_MAX_AGE_MS / (60 * MINUTE)} hours however active it was`, async () => {
      const t0 = new Date();
      const sessionId = await sessionOf("supervisor@demo.test", t0);
      const at = (ms: number) => new Date(t0.getTime() + ms);
      // A request every 20 minutes keeps it from idling…
      let elapsed = 0;
      while (elapsed + 20 * MINUTE <= SESSION_MAX_AGE_MS) {
        elapsed += 20 * MINUTE;
        expect(await resolveSession(t.db, sessionId, null, at(elapsed)), `after ${elapsed / MINUTE} min`).not.toBeNull();
      }
      expect(elapsed).toBe(SESSION_MAX_AGE_MS);
      // …but one minute past 12 hours it is over.
      expect(await resolveSession(t.db, sessionId, null, at(SESSION_MAX_AGE_MS + MINUTE))).toBeNull();
      expect((await sessionRow(sessionId)).endedAt).not.toBeNull();
    });
  });

  it("ends a session with endSession, and audits the sign-out", async () => {
    const sessionId = await sessionOf("agent.acme@demo.test");
    const actor = await resolveSession(t.db, sessionId, null);
    expect(actor).not.toBeNull();
    const otherSessionId = await sessionOf("agent.acme@demo.test");

    await endSession(t.db, actor!);
    expect(await resolveSession(t.db, sessionId, null)).toBeNull();
    expect((await sessionRow(sessionId)).endedAt).not.toBeNull();
    // Only that session: the same person's other session (another browser) is untouched.
    expect(await resolveSession(t.db, otherSessionId, null)).not.toBeNull();
    const events = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.entityId, actor!.id), eq(auditEvents.action, "staff.signed_out")));
    expect(events).toHaveLength(1);
  });
});
