import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { staffSessions, staffUsers } from "@/db/schema";
import { systemActor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { maskEmail } from "@/lib/customers/masking";
import { decoyHash, verifyPassword } from "./passwords";
import { LOCKOUT_MS, MAX_FAILED_SIGN_INS } from "./policy";

export type SignInResult = { ok: true; staffId: string; sessionId: string } | { ok: false };

/**
 * Checks an email and password. The answer is the same whether the email is unknown, the password
 * wrong, the account locked or deactivated, so the form never reveals which accounts exist. The fifth
 * failure in a row locks the account for 15 minutes; the count lives in the database, so the lock
 * holds across restarts and replicas.
 */
export async function signIn(db: Db, email: string, password: string, ip: string | null, now = new Date()): Promise<SignInResult> {
  // No account's email holds a NUL, and PostgreSQL refuses one in text: such an email is an unknown account.
  const normalizedEmail = email.trim().toLowerCase().replaceAll("\0", "\ufffd");
  return db.transaction(async (tx) => {
    const [user] = await tx.select().from(staffUsers).where(eq(staffUsers.email, normalizedEmail)).for("update");
    if (!user) {
      await verifyPassword(password, await decoyHash());
      // Kept, masked, so that attempts on many unknown accounts (credential stuffing) leave a trace.
      await recordAudit(tx, systemActor("sign-in", ip), { ...failedSignIn(null, "unknown account"), after: { email: maskEmail(normalizedEmail) } });
      return { ok: false } as const;
    }
    const actor = systemActor(`sign-in of ${user.email}`, ip);
    if (user.lockedUntil && user.lockedUntil > now) {
      await verifyPassword(password, await decoyHash());
      await recordAudit(tx, actor, failedSignIn(user.id, "account locked"));
      return { ok: false } as const;
    }
    const valid = await verifyPassword(password, user.passwordHash);
    if (!valid || !user.active) {
      // A lock that has run out starts a fresh count.
      const previous = user.lockedUntil ? 0 : user.failedSignIns;
      const failures = previous + 1;
      const locks = failures >= MAX_FAILED_SIGN_INS;
      await tx
        .update(staffUsers)
        .set({
          failedSignIns: locks ? 0 : failures,
          lockedUntil: locks ? new Date(now.getTime() + LOCKOUT_MS) : null,
        })
        .where(eq(staffUsers.id, user.id));
      await recordAudit(tx, actor, failedSignIn(user.id, !user.active ? "account deactivated" : locks ? "wrong password; account locked for 15 minutes" : "wrong password"));
      return { ok: false } as const;
    }
    await tx
      .update(staffUsers)
      .set({ failedSignIns: 0, lockedUntil: null })
      .where(eq(staffUsers.id, user.id));
    const [session] = await tx
      .insert(staffSessions)
      .values({ staffId: user.id, ip, createdAt: now, lastSeenAt: now })
      .returning({ id: staffSessions.id });
    await recordAudit(tx, { type: "staff", id: user.id, email: user.email, name: user.name, role: user.role, platformAdmin: user.platformAdmin, tenantIds: [], sessionId: session!.id, ip }, {
      tenantId: null,
      action: "staff.signed_in",
      entityType: "staff_user",
      entityId: user.id,
    });
    return { ok: true, staffId: user.id, sessionId: session!.id } as const;
  });
}

function failedSignIn(staffId: string | null, reason: string) {
  return {
    tenantId: null,
    action: "staff.sign_in_failed",
    entityType: "staff_user",
    entityId: staffId,
    reason,
    outcome: "failure" as const,
  };
}
