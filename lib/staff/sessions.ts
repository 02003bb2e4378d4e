import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "@/db/client";
import { staffSessions, staffTenants, staffUsers, type StaffUser } from "@/db/schema";
import type { StaffActor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { SESSION_IDLE_MS, SESSION_MAX_AGE_MS, SESSION_TOUCH_MS } from "./policy";

/**
 * The staff member behind a session, read fresh from the database on every request: a deactivated
 * account, a changed role or changed tenants take effect at once, whatever the cookie says. Null when
 * the session has ended, is older than 12 hours, or has been idle for 30 minutes.
 */
export async function resolveSession(db: Db, sessionId: string, ip: string | null, now = new Date()): Promise<StaffActor | null> {
  if (!/^[0-9a-f-]{36}$/i.test(sessionId)) return null;
  const [row] = await db
    .select({ session: staffSessions, user: staffUsers })
    .from(staffSessions)
    .innerJoin(staffUsers, eq(staffUsers.id, staffSessions.staffId))
    .where(and(eq(staffSessions.id, sessionId), isNull(staffSessions.endedAt)));
  if (!row || !row.user.active) return null;
  const { session, user } = row;
  const age = now.getTime() - session.createdAt.getTime();
  const idle = now.getTime() - session.lastSeenAt.getTime();
  if (age > SESSION_MAX_AGE_MS || idle > SESSION_IDLE_MS) {
    await db.update(staffSessions).set({ endedAt: now }).where(eq(staffSessions.id, sessionId));
    return null;
  }
  if (idle > SESSION_TOUCH_MS) {
    await db.update(staffSessions).set({ lastSeenAt: now }).where(eq(staffSessions.id, sessionId));
  }
  const tenantRows = await db.select({ tenantId: staffTenants.tenantId }).from(staffTenants).where(eq(staffTenants.staffId, user.id));
  return staffActorOf(user, tenantRows.map((t) => t.tenantId), sessionId, ip);
}

function staffActorOf(user: StaffUser, tenantIds: string[], sessionId: string, ip: string | null): StaffActor {
  const { id, email, name, role, platformAdmin } = user;
  return { type: "staff", id, email, name, role, platformAdmin, tenantIds, sessionId, ip };
}

/**
 * Opens a session for someone who has just proved who they are (a password, and a second factor when
 * they have or need one), clears their failure count and audits how they signed in.
 */
export async function openSession(
  tx: Db,
  user: StaffUser,
  ip: string | null,
  secondFactor: "none" | "authenticator" | "recovery code",
  now = new Date(),
): Promise<string> {
  await tx.update(staffUsers).set({ failedSignIns: 0, lockedUntil: null }).where(eq(staffUsers.id, user.id));
  const [session] = await tx
    .insert(staffSessions)
    .values({ staffId: user.id, ip, createdAt: now, lastSeenAt: now })
    .returning({ id: staffSessions.id });
  await recordAudit(tx, staffActorOf(user, [], session!.id, ip), {
    tenantId: null,
    action: "staff.signed_in",
    entityType: "staff_user",
    entityId: user.id,
    after: { secondFactor },
  });
  return session!.id;
}

export async function endSession(db: Db, actor: StaffActor): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(staffSessions)
      .set({ endedAt: new Date() })
      .where(and(eq(staffSessions.id, actor.sessionId), isNull(staffSessions.endedAt)));
    await recordAudit(tx, actor, { tenantId: null, action: "staff.signed_out", entityType: "staff_user", entityId: actor.id });
  });
}
