import type { PGlite } from "@electric-sql/pglite";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { connect, queryRows, type Connection } from "@/db/client";
import { DEMO_PASSWORD, demoStaff } from "@/db/demo-data";
import { auditEvents, staffSessions, staffUsers } from "@/db/schema";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { env } from "@/lib/env";
import { verifyPassword } from "./passwords";
import { LOCKOUT_MS, MAX_FAILED_SIGN_INS } from "./policy";
import { signIn } from "./sign-in";

const MINUTE = 60 * 1000;

/**
 * A second, independent connection to the same data: another client on the PostgreSQL database, or
 * for in-memory PGlite a new instance loaded from a dump of the first one's data folder.
 */
async function freshConnection(t: TestDatabase): Promise<Connection> {
  if (t.kind === "postgres") {
    const [row] = await queryRows<{ name: string }>(t.db, sql`select current_database() as name`);
    const url = new URL(env.DATABASE_URL!);
    url.pathname = `/${row!.name}`;
    return connect(url.toString());
  }
  const client = (t.db as unknown as { $client: PGlite }).$client;
  const dump = await client.dumpDataDir("none");
  return connect("memory://", { loadDataDir: dump });
}

describe("signIn", () => {
  let t: TestDatabase;

  async function staffRow(email: string) {
    const [row] = await t.db.select().from(staffUsers).where(eq(staffUsers.email, email));
    return row!;
  }

  async function failedSignInEvents(staffId: string) {
    return t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.entityId, staffId), eq(auditEvents.action, "staff.sign_in_failed")));
  }

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
  });
  afterAll(() => t?.close());

  it("signs in with the correct password and opens a session", async () => {
    const result = await signIn(t.db, "agent@demo.test", DEMO_PASSWORD, "198.51.100.1");
    expect(result).toEqual({ outcome: "signed-in", staffId: expect.any(String), sessionId: expect.any(String) });
    if (result.outcome !== "signed-in") return;
    const user = await staffRow("agent@demo.test");
    expect(result.staffId).toBe(user.id);
    const [session] = await t.db.select().from(staffSessions).where(eq(staffSessions.id, result.sessionId));
    expect(session).toMatchObject({ staffId: user.id, ip: "198.51.100.1", endedAt: null });
    const [event] = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.entityId, user.id), eq(auditEvents.action, "staff.signed_in")));
    expect(event).toMatchObject({ actorType: "staff", actorId: user.id, outcome: "success", ip: "198.51.100.1", after: { secondFactor: "none" } });
  });

  it("ignores the case and surrounding spaces of the email", async () => {
    expect((await signIn(t.db, "  Agent@Demo.TEST ", DEMO_PASSWORD, null)).outcome).toBe("signed-in");
  });

  it("answers an unknown email exactly as a wrong password, opens nothing and audits it masked", async () => {
    const wrong = await signIn(t.db, "admin@demo.test", "not-the-password", null);
    const sessionsBefore = await queryRows<{ n: string | number }>(t.db, sql`select count(*) as n from staff_sessions`);
    const unknown = await signIn(t.db, "nobody.known@demo.test", DEMO_PASSWORD, "203.0.113.77");
    expect(wrong).toStrictEqual({ outcome: "refused" });
    expect(unknown).toStrictEqual({ outcome: "refused" });
    expect(JSON.stringify(unknown)).toBe(JSON.stringify(wrong));
    const sessionsAfter = await queryRows<{ n: string | number }>(t.db, sql`select count(*) as n from staff_sessions`);
    expect(Number(sessionsAfter[0]!.n)).toBe(Number(sessionsBefore[0]!.n));
    // A trace for spotting credential stuffing, without the typed email in clear.
    const [event] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.action, "staff.sign_in_failed"), eq(auditEvents.ip, "203.0.113.77")));
    expect(event).toMatchObject({ outcome: "failure", reason: "unknown account", after: { email: "n•••@d•••.test" } });
    expect(JSON.stringify(event)).not.toContain("nobody.known");
  });

  it("stores passwords hashed with scrypt, never in clear", async () => {
    const rows = await t.db.select({ email: staffUsers.email, passwordHash: staffUsers.passwordHash }).from(staffUsers);
    expect(rows.map((r) => r.email).sort()).toEqual(demoStaff.map((s) => s.email).sort());
    const salts = new Set<string>();
    for (const row of rows) {
      expect(row.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
      expect(row.passwordHash).not.toContain(DEMO_PASSWORD);
      salts.add(row.passwordHash.split("$")[4]!);
    }
    // The hash is of the password (scrypt is slow on purpose, so one account is checked).
    expect(await verifyPassword(DEMO_PASSWORD, rows[0]!.passwordHash)).toBe(true);
    expect(await verifyPassword("demo-passwore", rows[0]!.passwordHash)).toBe(false);
    // Same password, a different salt each: equal passwords cannot be spotted in the table.
    expect(salts.size).toBe(rows.length);
    // Nor anywhere else in the database.
    const [dump] = await queryRows<{ n: string | number }>(
      t.db,
      sql`select (select count(*) from audit_events where cast(audit_events.* as text) like ${`%${DEMO_PASSWORD}%`})
             + (select count(*) from staff_users where cast(staff_users.* as text) like ${`%${DEMO_PASSWORD}%`}) as n`,
    );
    expect(Number(dump!.n)).toBe(0);
  });

  describe("lockout", () => {
    const email = "agent@demo.test";
    const t0 = new Date(Date.now() + 60 * MINUTE); // clear of the other tests' real-time sign-ins
    const at = (ms: number) => new Date(t0.getTime() + ms);

    it(`locks the account after ${MAX_FAILED_SIGN_INS} failures: the next attempt, with the correct password, is refused`, async () => {
      const user = await staffRow(email);
      const eventsBefore = (await failedSignInEvents(user.id)).length;
      for (let i = 0; i < MAX_FAILED_SIGN_INS - 1; i++) {
        expect(await signIn(t.db, email, `wrong-${i}`, "198.51.100.9", at(i * 1000))).toStrictEqual({ outcome: "refused" });
        expect((await staffRow(email)).lockedUntil).toBeNull();
      }
      expect(await signIn(t.db, email, "wrong-last", "198.51.100.9", at(5000))).toStrictEqual({ outcome: "refused" });

      // The lock is a fact of the database, not of this process.
      const locked = await staffRow(email);
      expect(locked.lockedUntil?.getTime()).toBe(at(5000).getTime() + LOCKOUT_MS);

      expect(await signIn(t.db, email, DEMO_PASSWORD, "198.51.100.9", at(6000))).toStrictEqual({ outcome: "refused" });
      expect(await signIn(t.db, email, DEMO_PASSWORD, "198.51.100.9", at(5000 + LOCKOUT_MS - 1000))).toStrictEqual({ outcome: "refused" });

      // Every failure is in the audit, the password tried never is.
      const events = await failedSignInEvents(user.id);
      expect(events.length - eventsBefore).toBe(MAX_FAILED_SIGN_INS + 2);
      expect(events.every((e) => e.outcome === "failure" && e.tenantId === null)).toBe(true);
      expect(events.map((e) => e.reason)).toEqual(
        expect.arrayContaining(["wrong password", "wrong password; account locked for 15 minutes", "account locked"]),
      );
      expect(JSON.stringify(events)).not.toMatch(/wrong-|demo-password/);
    });

    it("still refuses the correct password through a fresh connection and freshly loaded code", async () => {
      const other = await freshConnection(t);
      try {
        vi.resetModules();
        const fresh = await import("./sign-in");
        expect(fresh.signIn).not.toBe(signIn);
        expect(await fresh.signIn(other.db, email, DEMO_PASSWORD, null, at(10 * MINUTE))).toStrictEqual({ outcome: "refused" });
      } finally {
        await other.close();
      }
    });

    it("lifts the lock after 15 minutes, and a successful sign-in clears the count", async () => {
      const result = await signIn(t.db, email, DEMO_PASSWORD, null, at(5000 + LOCKOUT_MS + 1000));
      expect(result.outcome).toBe("signed-in");
      const user = await staffRow(email);
      expect(user.lockedUntil).toBeNull();
      expect(user.failedSignIns).toBe(0);
    });

    it("starts a fresh count once a lock has run out", async () => {
      const start = at(LOCKOUT_MS * 2);
      const late = (ms: number) => new Date(start.getTime() + ms);
      // Lock again…
      for (let i = 0; i < MAX_FAILED_SIGN_INS; i++) await signIn(t.db, email, "wrong", "198.51.100.10", late(i));
      expect((await staffRow(email)).lockedUntil).not.toBeNull();
      // …let it run out; one more wrong password is a first failure, not a sixth.
      const after = late(LOCKOUT_MS + 1000);
      expect(await signIn(t.db, email, "wrong", null, after)).toStrictEqual({ outcome: "refused" });
      const row = await staffRow(email);
      expect(row.lockedUntil).toBeNull();
      expect(row.failedSignIns).toBe(1);
      expect((await signIn(t.db, email, DEMO_PASSWORD, null, late(LOCKOUT_MS + 2000))).outcome).toBe("signed-in");
    });

    it("counts only consecutive failures: a success in between resets the count", async () => {
      const who = "agent.acme@demo.test";
      const base = at(LOCKOUT_MS * 4);
      const step = (i: number) => new Date(base.getTime() + i * 1000);
      // Start from a clean count (an earlier test tried a wrong password for this account).
      expect((await signIn(t.db, who, DEMO_PASSWORD, null, step(-1))).outcome).toBe("signed-in");
      for (let i = 0; i < MAX_FAILED_SIGN_INS - 1; i++) await signIn(t.db, who, "wrong", "198.51.100.11", step(i));
      expect((await signIn(t.db, who, DEMO_PASSWORD, null, step(10))).outcome).toBe("signed-in");
      for (let i = 0; i < MAX_FAILED_SIGN_INS - 1; i++) await signIn(t.db, who, "wrong", "198.51.100.11", step(20 + i));
      expect((await signIn(t.db, who, DEMO_PASSWORD, null, step(30))).outcome).toBe("signed-in");
    });
  });

  it("refuses a deactivated account even with the correct password, and audits it", async () => {
    const user = await staffRow("agent.acme@demo.test");
    await t.db.update(staffUsers).set({ active: false }).where(eq(staffUsers.id, user.id));
    try {
      expect(await signIn(t.db, "agent.acme@demo.test", DEMO_PASSWORD, null)).toStrictEqual({ outcome: "refused" });
      const events = await failedSignInEvents(user.id);
      expect(events.map((e) => e.reason)).toContain("account deactivated");
    } finally {
      await t.db.update(staffUsers).set({ active: true, failedSignIns: 0 }).where(eq(staffUsers.id, user.id));
    }
  });
});
