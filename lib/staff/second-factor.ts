import { randomInt } from "node:crypto";
import { and, count, eq, inArray, isNull } from "drizzle-orm";
import * as OTPAuth from "otpauth";
import QRCode from "qrcode";
import { z } from "zod";
import type { Db } from "@/db/client";
import {
  staffRecoveryCodes,
  staffSessions,
  staffSignInChallenges,
  staffTenants,
  staffUsers,
  tenants,
  type StaffUser,
} from "@/db/schema";
import {
  assertAdminOf,
  assertPlatformAdmin,
  assertRole,
  assignableTenantScope,
  type Actor,
  type StaffActor,
} from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { hashOneTimeCode, oneTimeCodeMatches } from "@/lib/identity/answers";
import { ForbiddenError, NotFoundError, ValidationError } from "@/lib/errors";
import { seal, unseal } from "@/lib/notifications/sealed";
import { ENROLMENT_MS, RECOVERY_CODE_COUNT } from "./policy";
import { staffMemberFor } from "./staff";

/**
 * The staff second factor: a TOTP authenticator app (RFC 6238: SHA-1, 6 digits, 30-second steps, the
 * settings every app understands) and 10 single-use recovery codes. The secret rests sealed; a code
 * is accepted for the current step or one either side (a phone's clock a little off), and never for
 * a step at or before the last one accepted, so an overheard code cannot be used again.
 */
const TOTP = { issuer: "Attest", algorithm: "SHA1", digits: 6, period: 30 } as const;

export const totpStep = (at: Date) => Math.floor(at.getTime() / 1000 / TOTP.period);

/** The code an authenticator app shows at `at` (the demo's sign-in helpers type it). */
export function totpCode(secret: string, at = new Date()): string {
  return OTPAuth.TOTP.generate({ ...TOTP, secret: OTPAuth.Secret.fromBase32(secret), timestamp: at.getTime() });
}

/** The time step `code` belongs to, or null when it is not a code of this secret near `at`. */
export function totpCodeStep(secret: string, code: string, at: Date): number | null {
  const delta = OTPAuth.TOTP.validate({
    ...TOTP,
    token: code,
    secret: OTPAuth.Secret.fromBase32(secret),
    timestamp: at.getTime(),
    window: 1,
  });
  return delta === null ? null : totpStep(at) + delta;
}

/** Spaces are allowed as the apps show them ("123 456"); anything else is not a code. */
export const authenticationCodeSchema = z
  .string("Enter the 6-digit code from your authenticator app")
  .transform((s) => s.replace(/\s/g, ""))
  .pipe(z.string().regex(/^\d{6}$/, "Enter the 6-digit code from your authenticator app"));

// No 0/O, 1/l/I: a code is typed from paper. 10 characters from 31 ≈ 50 bits each.
const RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";
const RECOVERY_LENGTH = 10;

export const recoveryCodeSchema = z
  .string("Enter one of your recovery codes")
  .transform((s) => s.toLowerCase().replace(/[\s-]/g, ""))
  .pipe(
    z
      .string()
      .regex(
        new RegExp(`^[${RECOVERY_ALPHABET}]{${RECOVERY_LENGTH}}$`),
        "Enter one of your recovery codes, e.g. abcde-fghjk",
      ),
  );

function newRecoveryCode(): string {
  const chars = Array.from({ length: RECOVERY_LENGTH }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]);
  return `${chars.slice(0, 5).join("")}-${chars.slice(5).join("")}`;
}

/**
 * Replaces a person's recovery codes with 10 new ones and returns them in clear, to be shown once.
 * Only a keyed hash bound to the person is kept (the one-time codes' hash: ~50 random bits each need
 * no slow hash, and a copy of the table without the key reveals nothing).
 */
export async function replaceRecoveryCodes(tx: Db, staffId: string, now = new Date()): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await tx.delete(staffRecoveryCodes).where(eq(staffRecoveryCodes.staffId, staffId));
  await tx
    .insert(staffRecoveryCodes)
    .values(
      codes.map((code) => ({ staffId, codeHash: hashOneTimeCode(staffId, code.replace("-", "")), createdAt: now })),
    );
  return codes;
}

/** Uses up the recovery code typed (already normalised), if it is one of the person's unused ones. */
export async function consumeRecoveryCode(
  tx: Db,
  staffId: string,
  code: string,
  now = new Date(),
): Promise<{ remaining: number } | null> {
  const unused = await tx
    .select()
    .from(staffRecoveryCodes)
    .where(and(eq(staffRecoveryCodes.staffId, staffId), isNull(staffRecoveryCodes.usedAt)))
    .for("update");
  for (const row of unused) {
    if (oneTimeCodeMatches(staffId, code, row.codeHash)) {
      await tx.update(staffRecoveryCodes).set({ usedAt: now }).where(eq(staffRecoveryCodes.id, row.id));
      return { remaining: unused.length - 1 };
    }
  }
  return null;
}

/**
 * Whether the person must use a second factor: supervisors and admins always; an agent when any
 * tenant they are assigned to requires it (tenants.agent_mfa_required). Someone who has enrolled
 * uses theirs anyway.
 */
export async function secondFactorRequired(db: Db, user: Pick<StaffUser, "id" | "role">): Promise<boolean> {
  if (user.role !== "agent") return true;
  const [strict] = await db
    .select({ id: tenants.id })
    .from(staffTenants)
    .innerJoin(tenants, eq(tenants.id, staffTenants.tenantId))
    .where(and(eq(staffTenants.staffId, user.id), eq(tenants.agentMfaRequired, true)))
    .limit(1);
  return Boolean(strict);
}

export type Enrolment = {
  /** Base32, shown as text for typing into an app by hand. */
  secret: string;
  /** The QR code of the otpauth:// address, as SVG markup drawn on the server. */
  qrSvg: string;
  /** The secret, sealed with whom and until when, for the confirming form to send back. */
  ticket: string;
};

/** A new authenticator secret to offer; nothing is stored until a code from it is confirmed. */
export async function offerEnrolment(staff: { id: string; email: string }, now = new Date()): Promise<Enrolment> {
  const secret = new OTPAuth.Secret({ size: 20 });
  const uri = new OTPAuth.TOTP({ ...TOTP, label: staff.email, secret }).toString();
  const qrSvg = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
  const ticket = seal(
    JSON.stringify({ staffId: staff.id, secret: secret.base32, expiresAt: now.getTime() + ENROLMENT_MS }),
  );
  return { secret: secret.base32, qrSvg, ticket };
}

/** The secret of an enrolment offered to `staffId` that has not run out; null otherwise. */
function enrolmentSecret(ticket: string, staffId: string, now: Date): string | null {
  try {
    const offer = JSON.parse(unseal(ticket)) as { staffId?: unknown; secret?: unknown; expiresAt?: unknown };
    const { secret } = offer;
    if (offer.staffId !== staffId || typeof offer.expiresAt !== "number" || offer.expiresAt < now.getTime())
      return null;
    // 160 bits, as offered: a hand-made ticket cannot bring a short secret of its own.
    return typeof secret === "string" && /^[A-Z2-7]{32}$/.test(secret) ? secret : null;
  } catch {
    return null;
  }
}

export type EnrolmentCheck = { ok: true; step: number; secret: string } | { ok: false; reason: string };

/** Checks the code typed from an offered enrolment (the first code proves the app holds the secret). */
export function checkEnrolmentCode(ticket: string, code: string, staffId: string, now: Date): EnrolmentCheck {
  const secret = enrolmentSecret(ticket, staffId, now);
  if (!secret) return { ok: false, reason: "enrolment offer expired or not valid" };
  const step = totpCodeStep(secret, code, now);
  return step === null ? { ok: false, reason: "wrong code while enrolling" } : { ok: true, step, secret };
}

/** Stores a confirmed authenticator, makes 10 recovery codes and audits it; returns the codes. */
export async function saveEnrolment(
  tx: Db,
  actor: Actor,
  staffId: string,
  confirmed: { secret: string; step: number },
  now: Date,
): Promise<string[]> {
  await tx
    .update(staffUsers)
    .set({
      totpSecretSealed: seal(confirmed.secret),
      totpEnrolledAt: now,
      totpLastStep: confirmed.step,
      updatedAt: now,
    })
    .where(eq(staffUsers.id, staffId));
  const codes = await replaceRecoveryCodes(tx, staffId, now);
  await recordAudit(tx, actor, {
    tenantId: null,
    action: "staff.second_factor_enrolled",
    entityType: "staff_user",
    entityId: staffId,
  });
  return codes;
}

export type CodeCheck = { ok: true; step: number } | { ok: false; reason: "wrong code" | "code already used" };

/** Checks an enrolled person's authenticator code, refusing a step already used. */
export function checkAuthenticationCode(user: StaffUser, code: string, now: Date): CodeCheck {
  if (!user.totpSecretSealed) return { ok: false, reason: "wrong code" };
  const step = totpCodeStep(unseal(user.totpSecretSealed), code, now);
  if (step === null) return { ok: false, reason: "wrong code" };
  if (user.totpLastStep !== null && step <= user.totpLastStep) return { ok: false, reason: "code already used" };
  return { ok: true, step };
}

export type SecondFactorStatus = { enrolledAt: Date | null; required: boolean; recoveryCodesLeft: number };

/** For one's own security page. */
export async function secondFactorStatus(db: Db, actor: StaffActor): Promise<SecondFactorStatus> {
  const [user] = await db.select().from(staffUsers).where(eq(staffUsers.id, actor.id));
  if (!user) throw new NotFoundError();
  const [left] = await db
    .select({ n: count() })
    .from(staffRecoveryCodes)
    .where(and(eq(staffRecoveryCodes.staffId, actor.id), isNull(staffRecoveryCodes.usedAt)));
  return {
    enrolledAt: user.totpEnrolledAt,
    required: await secondFactorRequired(db, user),
    recoveryCodesLeft: Number(left?.n ?? 0),
  };
}

export const confirmEnrolmentSchema = z.object({ ticket: z.string().min(1).max(1000), code: authenticationCodeSchema });

/** A signed-in person without a second factor (an agent, by choice) enrols one. */
export async function enrolSecondFactor(
  db: Db,
  actor: StaffActor,
  input: z.output<typeof confirmEnrolmentSchema>,
  now = new Date(),
): Promise<string[]> {
  return db.transaction(async (tx) => {
    const [user] = await tx.select().from(staffUsers).where(eq(staffUsers.id, actor.id)).for("update");
    if (!user) throw new NotFoundError();
    // Replacing a factor is for an admin's reset: a stolen session must not swap in its own app.
    if (user.totpEnrolledAt)
      throw new ForbiddenError("You already have an authenticator app. Ask an admin to reset it to change it.");
    const check = checkEnrolmentCode(input.ticket, input.code, actor.id, now);
    if (!check.ok) {
      await auditFailedCode(tx, actor, check.reason);
      throw ValidationError.field(
        "code",
        "That code did not match. Check the app shows Attest and type the current code.",
      );
    }
    return saveEnrolment(tx, actor, actor.id, check, now);
  });
}

/** A wrong code typed by someone already signed in (enrolling, or replacing recovery codes). */
function auditFailedCode(tx: Db, actor: StaffActor, reason: string): Promise<void> {
  return recordAudit(tx, actor, {
    tenantId: null,
    action: "staff.second_factor_failed",
    entityType: "staff_user",
    entityId: actor.id,
    reason,
    outcome: "failure",
  });
}

export const regenerateRecoveryCodesSchema = z.object({ code: authenticationCodeSchema });

/** New recovery codes in place of the old ones; a current authenticator code proves it is the owner. */
export async function regenerateRecoveryCodes(
  db: Db,
  actor: StaffActor,
  input: z.output<typeof regenerateRecoveryCodesSchema>,
  now = new Date(),
): Promise<string[]> {
  return db.transaction(async (tx) => {
    const [user] = await tx.select().from(staffUsers).where(eq(staffUsers.id, actor.id)).for("update");
    if (!user?.totpEnrolledAt) throw new ForbiddenError("Set up an authenticator app first.");
    const check = checkAuthenticationCode(user, input.code, now);
    if (!check.ok) {
      await auditFailedCode(tx, actor, check.reason);
      throw ValidationError.field(
        "code",
        check.reason === "code already used"
          ? "That code was already used. Wait for the next one."
          : "That code did not match.",
      );
    }
    await tx.update(staffUsers).set({ totpLastStep: check.step }).where(eq(staffUsers.id, actor.id));
    const codes = await replaceRecoveryCodes(tx, actor.id, now);
    await recordAudit(tx, actor, {
      tenantId: null,
      action: "staff.recovery_codes_replaced",
      entityType: "staff_user",
      entityId: actor.id,
    });
    return codes;
  });
}

/**
 * Who may reset another staff member's factor: the admin rule of lib/actor.ts, as for any change to
 * a staff member (staffMemberFor: another tenant's staff are not found), and stricter, as for their
 * role or status: only someone who works for none but the admin's tenants (a Globex-only admin cannot
 * weaken the sign-in of someone who also works for Acme), and a platform admin only by another.
 */
async function assertMayResetSecondFactor(tx: Db, actor: Actor, staffId: string): Promise<void> {
  assertRole(actor, "admin");
  if (actor.type === "staff" && actor.id === staffId) {
    throw new ForbiddenError("Use your own security page to manage your second factor.");
  }
  const { user, tenantIds } = await staffMemberFor(tx, actor, staffId);
  if (user.platformAdmin) assertPlatformAdmin(actor);
  if (assignableTenantScope(actor) === null) return;
  for (const tenantId of tenantIds) assertAdminOf(actor, tenantId);
}

/**
 * An admin clears someone's authenticator and recovery codes (a lost phone). Their sessions and any
 * sign-in under way end, so the next sign-in starts again with the password and, where a factor is
 * required, enrolment.
 */
export async function resetSecondFactor(db: Db, actor: Actor, staffId: string, now = new Date()): Promise<void> {
  await db.transaction(async (tx) => {
    const [user] = await tx.select().from(staffUsers).where(eq(staffUsers.id, staffId)).for("update");
    if (!user) throw new NotFoundError("No such staff member");
    await assertMayResetSecondFactor(tx, actor, staffId);
    await tx
      .update(staffUsers)
      .set({ totpSecretSealed: null, totpEnrolledAt: null, totpLastStep: null, updatedAt: now })
      .where(eq(staffUsers.id, staffId));
    await tx.delete(staffRecoveryCodes).where(eq(staffRecoveryCodes.staffId, staffId));
    await tx
      .update(staffSessions)
      .set({ endedAt: now })
      .where(and(eq(staffSessions.staffId, staffId), isNull(staffSessions.endedAt)));
    await tx
      .update(staffSignInChallenges)
      .set({ usedAt: now })
      .where(and(eq(staffSignInChallenges.staffId, staffId), isNull(staffSignInChallenges.usedAt)));
    await recordAudit(tx, actor, {
      tenantId: null,
      action: "staff.second_factor_reset",
      entityType: "staff_user",
      entityId: staffId,
      before: { enrolled: user.totpEnrolledAt !== null },
      after: { enrolled: false },
    });
  });
}

/** Which of these staff members have an authenticator enrolled (for the admin's staff list). */
export async function enrolledStaffIds(db: Db, staffIds: string[]): Promise<Set<string>> {
  if (!staffIds.length) return new Set();
  const rows = await db
    .select({ id: staffUsers.id, at: staffUsers.totpEnrolledAt })
    .from(staffUsers)
    .where(inArray(staffUsers.id, staffIds));
  return new Set(rows.filter((r) => r.at).map((r) => r.id));
}

/** The demo's supervisor and admin come enrolled with a published secret (README), so anyone can sign in. */
export async function enrolDemoSecondFactor(tx: Db, staffId: string, secret: string, now = new Date()): Promise<void> {
  await tx
    .update(staffUsers)
    .set({ totpSecretSealed: seal(secret), totpEnrolledAt: now })
    .where(eq(staffUsers.id, staffId));
}
