import { and, eq, gt, isNull, lt } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { staffSignInChallenges, staffUsers, type StaffUser } from "@/db/schema";
import { systemActor, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { maskEmail } from "@/lib/customers/masking";
import { peek, perWindow, take } from "@/lib/rate-limit/limiter";
import { decoyHash, verifyPassword } from "./passwords";
import {
  ADDRESS_WINDOW_MS,
  LOCKOUT_MS,
  MAX_FAILED_SIGN_INS,
  MAX_FAILED_SIGN_INS_PER_ADDRESS,
  SIGN_IN_CHALLENGE_ATTEMPTS,
  SIGN_IN_CHALLENGE_MS,
} from "./policy";
import {
  authenticationCodeSchema,
  checkAuthenticationCode,
  checkEnrolmentCode,
  consumeRecoveryCode,
  recoveryCodeSchema,
  saveEnrolment,
  secondFactorRequired,
} from "./second-factor";
import { openSession } from "./sessions";

export type SignInResult =
  | { outcome: "signed-in"; staffId: string; sessionId: string }
  /** The password was right; the second factor is asked for (or enrolled) under this challenge. */
  | { outcome: "second-factor"; staffId: string; challengeId: string; enrol: boolean }
  | { outcome: "refused" }
  /** Too many failures from this client address: nothing was checked. */
  | { outcome: "rate-limited"; retryAfterSeconds: number };

const ADDRESS_LIMIT = perWindow(MAX_FAILED_SIGN_INS_PER_ADDRESS, ADDRESS_WINDOW_MS);
// An unknown address (no socket address, no trusted proxy header) shares one bucket: it fails closed.
const addressBucket = (ip: string | null) => `staff-sign-in:${ip ?? "unknown"}`;

/**
 * Checks an email and password. The answer is the same whether the email is unknown, the password
 * wrong, the account locked or deactivated, so the form never reveals which accounts exist. The fifth
 * failure in a row (passwords and second-factor codes alike) locks the account for 15 minutes; the
 * count lives in the database, so the lock holds across restarts and replicas. Separately, a client
 * address gets 20 failures per 15 minutes whatever the accounts, checked before the password is.
 *
 * A person who has or needs a second factor gets a challenge instead of a session: the failure count
 * is cleared only when the second factor passes too, so a known password does not buy endless codes.
 */
export async function signIn(db: Db, email: string, password: string, ip: string | null, now = new Date()): Promise<SignInResult> {
  // No account's email holds a NUL, and PostgreSQL refuses one in text: such an email is an unknown account.
  const normalizedEmail = email.trim().toLowerCase().replaceAll("\0", "\ufffd");
  const limited = await addressLimited(db, ip, now);
  if (limited) {
    await recordAudit(db, systemActor("sign-in", ip), { ...failedSignIn(null, "too many failed sign-ins from this address"), after: { email: maskEmail(normalizedEmail) } });
    return limited;
  }
  return db.transaction(async (tx) => {
    const [user] = await tx.select().from(staffUsers).where(eq(staffUsers.email, normalizedEmail)).for("update");
    if (!user) {
      await verifyPassword(password, await decoyHash());
      // Kept, masked, so that attempts on many unknown accounts (credential stuffing) leave a trace.
      await recordAudit(tx, systemActor("sign-in", ip), { ...failedSignIn(null, "unknown account"), after: { email: maskEmail(normalizedEmail) } });
      await take(tx, addressBucket(ip), ADDRESS_LIMIT, 1, now);
      return { outcome: "refused" } as const;
    }
    const actor = systemActor(`sign-in of ${user.email}`, ip);
    if (user.lockedUntil && user.lockedUntil > now) {
      await verifyPassword(password, await decoyHash());
      await recordAudit(tx, actor, failedSignIn(user.id, "account locked"));
      await take(tx, addressBucket(ip), ADDRESS_LIMIT, 1, now);
      return { outcome: "refused" } as const;
    }
    const valid = await verifyPassword(password, user.passwordHash);
    if (!valid || !user.active) {
      await countFailure(tx, actor, user, !user.active ? "account deactivated" : "wrong password", ip, now);
      return { outcome: "refused" } as const;
    }
    if (!user.totpEnrolledAt && !(await secondFactorRequired(tx, user))) {
      return { outcome: "signed-in", staffId: user.id, sessionId: await openSession(tx, user, ip, "none", now) } as const;
    }
    const [challenge] = await tx
      .insert(staffSignInChallenges)
      .values({ staffId: user.id, ip, createdAt: now, expiresAt: new Date(now.getTime() + SIGN_IN_CHALLENGE_MS) })
      .returning({ id: staffSignInChallenges.id });
    return { outcome: "second-factor", staffId: user.id, challengeId: challenge!.id, enrol: !user.totpEnrolledAt } as const;
  });
}

/** A challenge still open: the sign-in page shows the code form, or enrolment when `enrol`. */
export async function openChallenge(
  db: Db,
  challengeId: string,
  now = new Date(),
): Promise<{ staffId: string; email: string; enrol: boolean } | null> {
  if (!z.uuid().safeParse(challengeId).success) return null;
  const [row] = await db
    .select({ staffId: staffUsers.id, email: staffUsers.email, enrolledAt: staffUsers.totpEnrolledAt })
    .from(staffSignInChallenges)
    .innerJoin(staffUsers, eq(staffUsers.id, staffSignInChallenges.staffId))
    .where(
      and(
        eq(staffSignInChallenges.id, challengeId),
        isNull(staffSignInChallenges.usedAt),
        gt(staffSignInChallenges.expiresAt, now),
        lt(staffSignInChallenges.attempts, SIGN_IN_CHALLENGE_ATTEMPTS),
      ),
    );
  return row ? { staffId: row.staffId, email: row.email, enrol: !row.enrolledAt } : null;
}

export const secondFactorProofSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("code"), code: authenticationCodeSchema }),
  z.object({ kind: z.literal("recovery"), code: recoveryCodeSchema }),
  z.object({ kind: z.literal("enrol"), ticket: z.string().min(1).max(1000), code: authenticationCodeSchema }),
]);
export type SecondFactorProof = z.output<typeof secondFactorProofSchema>;

export type SecondFactorResult =
  | { outcome: "signed-in"; staffId: string; sessionId: string; /** Shown once, after enrolment. */ recoveryCodes?: string[] }
  | { outcome: "wrong"; reason: "wrong code" | "code already used" | "wrong recovery code" | "wrong code while enrolling" | string }
  /** The challenge has run out (time, tries, a lock, a reset): start again with the password. */
  | { outcome: "expired" }
  | { outcome: "rate-limited"; retryAfterSeconds: number };

/**
 * The second step of sign-in: an authenticator code, a recovery code, or (for someone who must have a
 * factor and has none) the first code of a new authenticator. Only now is the session opened. A wrong
 * code uses one of the challenge's 3 tries, counts toward the account's lockout and the address's
 * limit, and is audited; a code of a step already used is refused as wrong.
 */
export async function passSecondFactor(db: Db, challengeId: string, proof: SecondFactorProof, ip: string | null, now = new Date()): Promise<SecondFactorResult> {
  if (!z.uuid().safeParse(challengeId).success) return { outcome: "expired" };
  const limited = await addressLimited(db, ip, now);
  if (limited) return limited;
  return db.transaction(async (tx) => {
    const [challenge] = await tx.select().from(staffSignInChallenges).where(eq(staffSignInChallenges.id, challengeId)).for("update");
    if (!challenge || challenge.usedAt || challenge.expiresAt <= now || challenge.attempts >= SIGN_IN_CHALLENGE_ATTEMPTS) {
      return { outcome: "expired" } as const;
    }
    const [user] = await tx.select().from(staffUsers).where(eq(staffUsers.id, challenge.staffId)).for("update");
    if (!user || !user.active || (user.lockedUntil && user.lockedUntil > now)) {
      await tx.update(staffSignInChallenges).set({ usedAt: now }).where(eq(staffSignInChallenges.id, challengeId));
      return { outcome: "expired" } as const;
    }
    const actor = systemActor(`sign-in of ${user.email}`, ip);
    const fail = async (reason: string) => {
      const locked = await countFailure(tx, actor, user, reason, ip, now, "staff.second_factor_failed");
      await tx
        .update(staffSignInChallenges)
        .set({ attempts: challenge.attempts + 1, ...(locked ? { usedAt: now } : {}) })
        .where(eq(staffSignInChallenges.id, challengeId));
      return locked || challenge.attempts + 1 >= SIGN_IN_CHALLENGE_ATTEMPTS ? ({ outcome: "expired" } as const) : ({ outcome: "wrong", reason } as const);
    };
    let recoveryCodes: string[] | undefined;
    let how: "authenticator" | "recovery code";
    if (proof.kind === "enrol") {
      // Only someone without a factor enrols here: a password alone never replaces an authenticator.
      if (user.totpEnrolledAt) return fail("enrolment refused: already enrolled");
      const check = checkEnrolmentCode(proof.ticket, proof.code, user.id, now);
      if (!check.ok) return fail(check.reason);
      recoveryCodes = await saveEnrolment(tx, actor, user.id, check, now);
      how = "authenticator";
    } else if (!user.totpEnrolledAt) {
      return fail("no authenticator enrolled");
    } else if (proof.kind === "code") {
      const check = checkAuthenticationCode(user, proof.code, now);
      if (!check.ok) return fail(check.reason);
      await tx.update(staffUsers).set({ totpLastStep: check.step }).where(eq(staffUsers.id, user.id));
      how = "authenticator";
    } else {
      const used = await consumeRecoveryCode(tx, user.id, proof.code, now);
      if (!used) return fail("wrong recovery code");
      await recordAudit(tx, actor, { tenantId: null, action: "staff.recovery_code_used", entityType: "staff_user", entityId: user.id, after: { remaining: used.remaining } });
      how = "recovery code";
    }
    await tx.update(staffSignInChallenges).set({ usedAt: now }).where(eq(staffSignInChallenges.id, challengeId));
    const sessionId = await openSession(tx, user, ip, how, now);
    return { outcome: "signed-in", staffId: user.id, sessionId, ...(recoveryCodes ? { recoveryCodes } : {}) } as const;
  });
}

async function addressLimited(db: Db, ip: string | null, now: Date): Promise<{ outcome: "rate-limited"; retryAfterSeconds: number } | null> {
  const decision = await peek(db, addressBucket(ip), ADDRESS_LIMIT, 1, now);
  return decision.allowed ? null : { outcome: "rate-limited", retryAfterSeconds: decision.retryAfterSeconds };
}

/**
 * One more failure for the account (the fifth in a row locks it for 15 minutes) and for the client
 * address; audited. True when this failure locked the account.
 */
async function countFailure(tx: Db, actor: Actor, user: StaffUser, reason: string, ip: string | null, now: Date, action = "staff.sign_in_failed"): Promise<boolean> {
  // A lock that has run out starts a fresh count.
  const previous = user.lockedUntil ? 0 : user.failedSignIns;
  const failures = previous + 1;
  const locks = failures >= MAX_FAILED_SIGN_INS;
  await tx
    .update(staffUsers)
    .set({ failedSignIns: locks ? 0 : failures, lockedUntil: locks ? new Date(now.getTime() + LOCKOUT_MS) : null })
    .where(eq(staffUsers.id, user.id));
  await recordAudit(tx, actor, { ...failedSignIn(user.id, locks ? `${reason}; account locked for 15 minutes` : reason), action });
  await take(tx, addressBucket(ip), ADDRESS_LIMIT, 1, now);
  return locks;
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
