import { and, desc, eq, gt, inArray, isNull, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import {
  customerSecurity,
  customers,
  interactions,
  tenants,
  verificationAlerts,
  verificationFactors,
  verifications,
  type Customer,
  type Interaction,
  type Verification,
  type VerificationAlert,
  type VerificationFactorKind,
  type VerificationLevel,
} from "@/db/schema";
import { assertRole, assertTenantAccess, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { maskEmail, maskPhone } from "@/lib/customers/masking";
import { ConflictError, DomainError, ForbiddenError, NotFoundError, ValidationError, fieldErrorsFromZod } from "@/lib/errors";
import { heldCall } from "@/lib/interactions/interactions";
import { enqueueMessage } from "@/lib/notifications/outbox";
import { refuseCardData } from "@/lib/payments/card-numbers";
import { lastDigitsOnFile } from "@/lib/payments/last-digits";
import { verifyPassword } from "@/lib/staff/passwords";
import { hashOneTimeCode, newOneTimeCode, normalise, oneTimeCodeMatches } from "./answers";
import {
  CODE_MAX_TRIES,
  CODE_TTL_MS,
  CODE_WINDOW_MS,
  FACTOR_LABELS,
  KNOWLEDGE_FACTORS,
  LOCK_WINDOW_MS,
  MAX_CODES_PER_CALL,
  MAX_CODES_PER_CUSTOMER,
  MAX_FAILED_FACTORS,
  POSSESSION_FACTORS,
  REQUIRED_LEVEL,
  VERIFICATION_TTL_MS,
  levelFrom,
  levelSince,
  meets,
  type KnowledgeFactor,
  type VerifiedAction,
  BLOCKED_WHILE_RESTRICTED,
} from "./policy";

/** Refused because the caller is not verified enough for the action: a 403 with what is needed. */
export class VerificationRequiredError extends ForbiddenError {
  constructor(
    readonly needed: VerificationLevel,
    action: string,
  ) {
    super(`${needed === "strong" ? "Strong" : "Basic"} verification of the caller is needed to ${action}.`);
  }
}

export const sendCodeSchema = z.object({
  interactionId: z.uuid("Unknown call"),
  channel: z.enum(["sms", "email"], "Choose SMS or email"),
});

export const checkCodeSchema = z.object({
  interactionId: z.uuid("Unknown call"),
  code: z.string().trim().regex(/^\d{3}\s?\d{3}$/, "Enter the 6-digit code the caller reads out"),
});

export const checkKnowledgeSchema = z
  .object({
    interactionId: z.uuid("Unknown call"),
    kind: z.enum(KNOWLEDGE_FACTORS, "Choose what to check"),
    // A caller asked for the last 4 digits may read out the whole card number: refused, never compared.
    answer: z
      .string()
      .trim()
      .min(1, "Type what the caller says")
      .max(200, "At most 200 characters")
      .superRefine(refuseCardData),
  })
  .superRefine((input, ctx) => {
    if (input.kind === "payment_last4" && !/^\d{4}$/.test(normalise.digits(input.answer))) {
      ctx.addIssue({ code: "custom", path: ["answer"], message: "Type the 4 digits the caller reads out" });
    }
  });

export type CheckOutcome = {
  match: boolean;
  level: VerificationLevel;
  locked: boolean;
  attemptsLeft: number;
  expired?: boolean;
  /** When the customer's lock lifts, if this failure locked verification. */
  lockedUntil?: Date;
};

export type VerificationState = {
  level: VerificationLevel;
  /** When the level lapses (30 minutes after it was reached). */
  validUntil: Date | null;
  /** Verification is locked for the customer, in every call, until `lockedUntil`. */
  locked: boolean;
  lockedUntil: Date | null;
  /** Failed factors the customer may still have in 24 hours, across calls and agents. */
  attemptsLeft: number;
  factors: { kind: VerificationFactorKind; label: string; outcome: string; destination: string | null; at: Date }[];
  /** A code is out and may be checked. */
  codePending: boolean;
  /** Knowledge checks this customer has data for. */
  availableChecks: { kind: KnowledgeFactor; label: string; prompt?: string }[];
  /** Contact points on file a code can go to, masked. */
  codeDestinations: { channel: "sms" | "email"; to: string }[];
};

/** The customer's verification lock, derived from their verification alerts. */
export type VerificationLock = {
  /** Until when verification is locked for the customer; null when it is not. */
  lockedUntil: Date | null;
  /** When it last locked, in the last 24 hours: what was reached or failed before then no longer counts. */
  lastLockedAt: Date | null;
};

const utcMinute = (at: Date) => `${at.toISOString().replace("T", " ").slice(0, 16)} UTC`;
const CODE_KINDS = [...POSSESSION_FACTORS];

/**
 * A lock is an open verification alert raised in the last 24 hours: it lifts when a supervisor closes
 * the alert (with a note) or 24 hours after it was raised, whichever comes first.
 */
type CustomerKey = { tenantId: string; id: string };

async function verificationLock(db: Db, customer: CustomerKey, now: Date): Promise<VerificationLock> {
  const windowStart = new Date(now.getTime() - LOCK_WINDOW_MS);
  // Both branches are ranges of verification_alerts_open_idx (tenant_id, closed_at, created_at).
  const alerts = await db
    .select({ createdAt: verificationAlerts.createdAt, closedAt: verificationAlerts.closedAt })
    .from(verificationAlerts)
    .where(
      and(
        eq(verificationAlerts.tenantId, customer.tenantId),
        or(
          and(isNull(verificationAlerts.closedAt), gt(verificationAlerts.createdAt, windowStart)),
          gt(verificationAlerts.closedAt, windowStart),
        ),
        eq(verificationAlerts.customerId, customer.id),
      ),
    );
  const latest = (list: typeof alerts) =>
    list.reduce<Date | null>((max, a) => (max && max >= a.createdAt ? max : a.createdAt), null);
  const recent = alerts.filter((a) => a.createdAt > windowStart && a.createdAt <= now);
  const openSince = latest(recent.filter((a) => !a.closedAt));
  const lockedUntil = openSince ? new Date(openSince.getTime() + LOCK_WINDOW_MS) : null;
  return { lockedUntil, lastLockedAt: latest(recent) };
}

/**
 * The customer's failed factors since `since`, across calls and agents: each wrong answer, and each
 * wrong try of a code (timed when the code was answered, or sent while it is still out).
 */
async function failuresSince(tx: Db, customer: CustomerKey, since: Date): Promise<number> {
  const f = verificationFactors;
  const [row] = await tx
    .select({
      n: sql<number>`coalesce(sum(case
        when ${inArray(f.kind, CODE_KINDS)} then ${f.codeTries} - (case when ${f.outcome} = 'match' then 1 else 0 end)
        when ${f.outcome} = 'no_match' then 1 else 0 end), 0)::int`,
    })
    .from(f)
    .innerJoin(verifications, verificationOfFactor)
    // Through the customer's calls (interactions_customer_idx): verifications have no index by customer.
    .innerJoin(interactions, callOfVerification)
    .where(
      and(
        eq(interactions.tenantId, customer.tenantId),
        eq(interactions.customerId, customer.id),
        // Not a column, so drizzle cannot map the Date: given as text, which PostgreSQL reads as timestamptz.
        gt(sql`coalesce(${f.answeredAt}, ${f.createdAt})`, since.toISOString()),
      ),
    );
  return Number(row?.n ?? 0);
}

/** The customer's lock as the desk shows it, before any call is started. */
export async function customerVerificationLock(db: Db, actor: Actor, customer: CustomerKey, now = new Date()) {
  assertTenantAccess(actor, customer.tenantId);
  return verificationLock(db, customer, now);
}

/** Failures count from the start of the 24-hour window, or from the last lock if later. */
const countingFrom = (lock: VerificationLock, now: Date) =>
  lock.lastLockedAt ?? new Date(now.getTime() - LOCK_WINDOW_MS);

/**
 * The level that holds now: none while the customer is locked, once lapsed, once the call has ended,
 * and for a level reached before the customer's last lock (it does not come back when the lock lifts).
 */
export function effectiveLevel(
  v: Pick<Verification, "level" | "levelReachedAt">,
  call: Pick<Interaction, "endedAt">,
  lock: VerificationLock,
  now = new Date(),
): VerificationLevel {
  if (call.endedAt || !v.levelReachedAt || lock.lockedUntil) return "none";
  if (lock.lastLockedAt && v.levelReachedAt <= lock.lastLockedAt) return "none";
  return now.getTime() - v.levelReachedAt.getTime() < VERIFICATION_TTL_MS ? v.level : "none";
}

/** The level the caller holds now in this call (none if there is no verification yet). */
export async function verifiedLevel(db: Db, call: Interaction, now = new Date()): Promise<VerificationLevel> {
  const [verification] = await db
    .select()
    .from(verifications)
    .where(and(eq(verifications.tenantId, call.tenantId), eq(verifications.interactionId, call.id)));
  if (!verification) return "none";
  return effectiveLevel(verification, call, await verificationLock(db, customerOfCall(call), now), now);
}

const customerOfCall = (call: Interaction) => ({ tenantId: call.tenantId, id: call.customerId });
const verificationOfFactor = and(
  eq(verifications.tenantId, verificationFactors.tenantId),
  eq(verifications.id, verificationFactors.verificationId),
);
const callOfVerification = and(
  eq(interactions.tenantId, verifications.tenantId),
  eq(interactions.id, verifications.interactionId),
);

/** A refusal that is itself a record: audited in the transaction, which commits, then thrown. */
class Refusal {
  constructor(readonly error: DomainError) {}
}

async function refuse(
  tx: Db,
  actor: Actor,
  call: Interaction,
  verification: Verification,
  after: Record<string, unknown>,
  error: DomainError,
): Promise<Refusal> {
  const event = verificationEvent(call, verification, "verification.refused", after, "failure");
  await recordAudit(tx, actor, { ...event, reason: error.message });
  return new Refusal(error);
}

async function unlessRefused<T>(work: Promise<T | Refusal>): Promise<T> {
  const result = await work;
  if (result instanceof Refusal) throw result.error;
  return result;
}

const lockedError = (lock: VerificationLock) =>
  new ConflictError(
    `Verification locked for this customer after ${MAX_FAILED_FACTORS} failed attempts: ` +
      `it lifts at ${utcMinute(lock.lockedUntil!)}, or when a supervisor closes the alert.`,
  );

async function verificationOf(tx: Db, call: Interaction, forUpdate: boolean): Promise<Verification> {
  const where = and(eq(verifications.tenantId, call.tenantId), eq(verifications.interactionId, call.id));
  const existing = forUpdate ? await tx.select().from(verifications).where(where).for("update") : await tx.select().from(verifications).where(where);
  if (existing[0]) return existing[0];
  const [created] = await tx
    .insert(verifications)
    .values({ tenantId: call.tenantId, interactionId: call.id, customerId: call.customerId, agentId: call.agentId })
    .onConflictDoNothing()
    .returning();
  return created ?? (await verificationOf(tx, call, forUpdate));
}

/**
 * The call's customer. `forUpdate` takes its row lock, so that the checks and codes of all the
 * customer's calls are counted one at a time (two agents failing at once still lock at the third).
 */
async function customerOf(tx: Db, call: Interaction, forUpdate = false): Promise<Customer> {
  const where = and(eq(customers.tenantId, call.tenantId), eq(customers.id, call.customerId));
  const [customer] = forUpdate
    ? await tx.select().from(customers).where(where).for("no key update")
    : await tx.select().from(customers).where(where);
  if (!customer) throw new NotFoundError("No such customer");
  return customer;
}

/**
 * The caps on one-time codes: each is a message to the customer's phone or inbox, and a new code is
 * a new guess. At most 3 in a call and 5 to the customer in an hour, counting codes already sent.
 */
async function codeCapReached(
  tx: Db,
  call: Interaction,
  verification: Verification,
  now: Date,
): Promise<{ reason: string; message: string } | null> {
  const [inCall] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(verificationFactors)
    .where(
      and(
        eq(verificationFactors.tenantId, call.tenantId),
        eq(verificationFactors.verificationId, verification.id),
        inArray(verificationFactors.kind, CODE_KINDS),
      ),
    );
  if (Number(inCall?.n ?? 0) >= MAX_CODES_PER_CALL) {
    return {
      reason: "codes_per_call",
      message:
        `${MAX_CODES_PER_CALL} codes have been sent in this call, the most one call allows: ` +
        "check the last code, use a knowledge check, or call the customer back.",
    };
  }
  const lastHour = await tx
    .select({ createdAt: verificationFactors.createdAt })
    .from(verificationFactors)
    .innerJoin(verifications, verificationOfFactor)
    .innerJoin(interactions, callOfVerification)
    .where(
      and(
        eq(interactions.tenantId, call.tenantId),
        eq(interactions.customerId, call.customerId),
        inArray(verificationFactors.kind, CODE_KINDS),
        gt(verificationFactors.createdAt, new Date(now.getTime() - CODE_WINDOW_MS)),
      ),
    )
    .orderBy(desc(verificationFactors.createdAt))
    .limit(MAX_CODES_PER_CUSTOMER);
  if (lastHour.length >= MAX_CODES_PER_CUSTOMER) {
    const next = new Date(lastHour[MAX_CODES_PER_CUSTOMER - 1]!.createdAt.getTime() + CODE_WINDOW_MS);
    return {
      reason: "codes_per_customer",
      message:
        `${MAX_CODES_PER_CUSTOMER} codes have been sent to this customer in the last hour, the most allowed: ` +
        `the next can be sent at ${utcMinute(next)}. Use a knowledge check meanwhile.`,
    };
  }
  return null;
}

/**
 * Sends a one-time code to a contact point already on file, never to one the caller gives
 * (RULES.md G3). The code is kept only as a keyed hash; the message body is sealed.
 */
export async function sendVerificationCode(db: Db, actor: Actor, input: z.output<typeof sendCodeSchema>, now = new Date()): Promise<{ destination: string }> {
  return unlessRefused(db.transaction(async (tx) => {
    const call = await heldCall(tx, actor, input.interactionId);
    const customer = await customerOf(tx, call, true);
    const verification = await verificationOf(tx, call, true);
    const lock = await verificationLock(tx, customer, now);
    const { channel } = input;
    if (lock.lockedUntil) {
      return refuse(tx, actor, call, verification, { channel, refused: "locked" }, lockedError(lock));
    }
    const cap = await codeCapReached(tx, call, verification, now);
    if (cap) {
      return refuse(tx, actor, call, verification, { channel, refused: cap.reason }, new ConflictError(cap.message));
    }
    const to = input.channel === "sms" ? customer.phone : customer.email;
    if (!to) throw ValidationError.field("channel", input.channel === "sms" ? "There is no phone number on file" : "There is no email address on file");
    const destination = (input.channel === "sms" ? maskPhone(to) : maskEmail(to))!;
    const kind = input.channel === "sms" ? "otp_sms" : "otp_email";

    // A new code replaces any code still out, so only the newest one can be used.
    await tx
      .update(verificationFactors)
      .set({ outcome: "expired", answeredAt: now })
      .where(and(eq(verificationFactors.tenantId, call.tenantId), eq(verificationFactors.verificationId, verification.id), inArray(verificationFactors.kind, ["otp_sms", "otp_email"]), eq(verificationFactors.outcome, "pending")));
    const [factor] = await tx
      .insert(verificationFactors)
      .values({ tenantId: call.tenantId, verificationId: verification.id, kind, destination, codeExpiresAt: new Date(now.getTime() + CODE_TTL_MS), createdAt: now })
      .returning();
    const code = newOneTimeCode();
    await tx.update(verificationFactors).set({ codeHash: hashOneTimeCode(factor!.id, code) }).where(and(eq(verificationFactors.tenantId, call.tenantId), eq(verificationFactors.id, factor!.id)));
    const [tenant] = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, call.tenantId));
    const text = `${code} is your ${tenant!.name} verification code. Read it to the agent on your call. It expires in 10 minutes. If you are not on a call with us, do not share it.`;
    await enqueueMessage(
      tx,
      {
        tenantId: call.tenantId,
        channel: input.channel,
        template: "verification_code",
        recipient: to,
        subject: input.channel === "email" ? `Your ${tenant!.name} verification code` : null,
        body: text,
        sensitive: true,
        customerId: customer.id,
        interactionId: call.id,
        usefulForMs: CODE_TTL_MS, // a code is worthless after 10 minutes
      },
      now,
    );
    await recordAudit(tx, actor, {
      tenantId: call.tenantId,
      action: "verification.code_sent",
      entityType: "verification",
      entityId: verification.id,
      customerId: customer.id,
      interactionId: call.id,
      after: { channel: input.channel, destination },
    });
    return { destination };
  }));
}

/** Checks the code the caller reads out. Answers match / no match only. */
export async function checkVerificationCode(db: Db, actor: Actor, input: z.output<typeof checkCodeSchema>, now = new Date()): Promise<CheckOutcome> {
  return unlessRefused(db.transaction(async (tx) => {
    const call = await heldCall(tx, actor, input.interactionId);
    const customer = await customerOf(tx, call, true);
    const verification = await verificationOf(tx, call, true);
    const lock = await verificationLock(tx, customer, now);
    if (lock.lockedUntil) return refuse(tx, actor, call, verification, { factor: "code", refused: "locked" }, lockedError(lock));
    const [factor] = await tx
      .select()
      .from(verificationFactors)
      .where(
        and(
          eq(verificationFactors.tenantId, call.tenantId),
          eq(verificationFactors.verificationId, verification.id),
          inArray(verificationFactors.kind, CODE_KINDS),
          eq(verificationFactors.outcome, "pending"),
        ),
      )
      .orderBy(desc(verificationFactors.createdAt))
      .limit(1);
    if (!factor) throw new ConflictError("No code is waiting to be checked: send a new code.");
    if (!factor.codeExpiresAt || factor.codeExpiresAt <= now) {
      await tx.update(verificationFactors).set({ outcome: "expired", answeredAt: now }).where(and(eq(verificationFactors.tenantId, call.tenantId), eq(verificationFactors.id, factor.id)));
      await recordAudit(tx, actor, verificationEvent(call, verification, "verification.code_expired", { factor: factor.kind }, "failure"));
      const failures = await failuresSince(tx, customer, countingFrom(lock, now));
      const level = effectiveLevel(verification, call, lock, now);
      const attemptsLeft = Math.max(0, MAX_FAILED_FACTORS - failures);
      return { match: false, level, locked: false, attemptsLeft, expired: true };
    }
    const match = oneTimeCodeMatches(factor.id, normalise.code(input.code), factor.codeHash!);
    const tries = factor.codeTries + 1;
    const outcome = match ? "match" : tries >= CODE_MAX_TRIES ? "no_match" : "pending";
    await tx
      .update(verificationFactors)
      .set({ codeTries: tries, outcome, answeredAt: outcome === "pending" ? null : now })
      .where(and(eq(verificationFactors.tenantId, call.tenantId), eq(verificationFactors.id, factor.id)));
    return settle(tx, actor, call, verification, lock, factor.kind, match, now);
  }));
}

/**
 * Compares what the caller says with what is on file. The agent sees match or no match, never the
 * stored value and never which part of an answer was wrong (RULES.md G6).
 */
export async function checkKnowledge(db: Db, actor: Actor, input: z.output<typeof checkKnowledgeSchema>, now = new Date()): Promise<CheckOutcome> {
  return unlessRefused(db.transaction(async (tx) => {
    const call = await heldCall(tx, actor, input.interactionId);
    const customer = await customerOf(tx, call, true);
    const verification = await verificationOf(tx, call, true);
    const lock = await verificationLock(tx, customer, now);
    if (lock.lockedUntil) {
      return refuse(tx, actor, call, verification, { factor: input.kind, refused: "locked" }, lockedError(lock));
    }
    const expected = (await knowledgeOnFile(tx, customer))[input.kind];
    if (expected === undefined) throw ValidationError.field("kind", "This customer has nothing on file for that check; choose another");
    const match = await expected(input.answer);
    await tx.insert(verificationFactors).values({ tenantId: call.tenantId, verificationId: verification.id, kind: input.kind, outcome: match ? "match" : "no_match", createdAt: now, answeredAt: now });
    return settle(tx, actor, call, verification, lock, input.kind, match, now);
  }));
}

type Comparer = (answer: string) => Promise<boolean>;

/** For each knowledge check the customer has data for: how to compare an answer with it. */
async function knowledgeOnFile(tx: Db, customer: Customer): Promise<Partial<Record<KnowledgeFactor, Comparer>>> {
  const security = await securityOf(tx, customer);
  const lastDigits = await lastDigitsOnFile(tx, customer);
  const checks: Partial<Record<KnowledgeFactor, Comparer>> = {};
  if (customer.dateOfBirth) checks.date_of_birth = async (a) => normalise.dateOfBirth(a) === customer.dateOfBirth;
  if (customer.address?.postcode) checks.postcode = async (a) => normalise.postcode(a) === normalise.postcode(customer.address!.postcode);
  // Any current card or bank account: the caller is not asked which one.
  if (lastDigits.length > 0) checks.payment_last4 = async (a) => lastDigits.includes(normalise.digits(a));
  if (security?.securityAnswerHash) {
    const hash = security.securityAnswerHash;
    checks.security_question = (a) => verifyPassword(normalise.securityAnswer(a), hash);
  }
  return checks;
}

type SecurityRow = typeof customerSecurity.$inferSelect;
async function securityOf(tx: Db, customer: Customer): Promise<SecurityRow | null> {
  const [row] = await tx.select().from(customerSecurity).where(and(eq(customerSecurity.tenantId, customer.tenantId), eq(customerSecurity.customerId, customer.id)));
  return row ?? null;
}

/**
 * Records a factor's result: a match may raise the level; a failure that is the customer's third in
 * 24 hours (across calls and agents, since their last lock) locks verification for the customer,
 * voids the codes still out to them and alerts supervisors.
 */
async function settle(
  tx: Db,
  actor: Actor,
  call: Interaction,
  verification: Verification,
  lock: VerificationLock,
  kind: VerificationFactorKind,
  match: boolean,
  now: Date,
): Promise<CheckOutcome> {
  const customer = customerOfCall(call);
  const from = countingFrom(lock, now);
  if (match) {
    // Factors older than the validity window, or from before the customer's last lock, no longer count.
    const lastLocked = lock.lastLockedAt?.getTime() ?? -Infinity;
    const validFrom = new Date(Math.max(now.getTime() - VERIFICATION_TTL_MS, lastLocked));
    const matched = await tx
      .select({ kind: verificationFactors.kind, answeredAt: verificationFactors.answeredAt })
      .from(verificationFactors)
      .where(
        and(
          eq(verificationFactors.tenantId, call.tenantId),
          eq(verificationFactors.verificationId, verification.id),
          eq(verificationFactors.outcome, "match"),
          gt(verificationFactors.answeredAt, validFrom),
        ),
      );
    const [tenant] = await tx.select({ knowledgeOnlyStrong: tenants.knowledgeOnlyStrong }).from(tenants).where(eq(tenants.id, call.tenantId));
    const reached = levelFrom(matched.map((m) => m.kind), tenant!.knowledgeOnlyStrong);
    const current = effectiveLevel(verification, call, lock, now);
    const raised = reached !== current && meets(reached, current);
    if (raised) {
      const since = levelSince(matched.map((m) => ({ kind: m.kind, at: m.answeredAt! })), reached, tenant!.knowledgeOnlyStrong);
      await tx.update(verifications).set({ level: reached, levelReachedAt: since }).where(and(eq(verifications.tenantId, call.tenantId), eq(verifications.id, verification.id)));
    }
    await recordAudit(tx, actor, verificationEvent(call, verification, "verification.factor_matched", { factor: kind, level: raised ? reached : current }));
    const failures = await failuresSince(tx, customer, from);
    const attemptsLeft = Math.max(0, MAX_FAILED_FACTORS - failures);
    return { match: true, level: raised ? reached : current, locked: false, attemptsLeft };
  }
  // The factor's failure is already written (its row or its code try): it is counted here.
  const failures = await failuresSince(tx, customer, from);
  const failedInCall = verification.failedFactors + 1;
  const locks = failures >= MAX_FAILED_FACTORS;
  await tx
    .update(verifications)
    .set({ failedFactors: failedInCall, lockedAt: locks ? now : verification.lockedAt })
    .where(and(eq(verifications.tenantId, call.tenantId), eq(verifications.id, verification.id)));
  const failed = { factor: kind, failedFactors: failedInCall, failedForCustomer: failures };
  await recordAudit(tx, actor, verificationEvent(call, verification, "verification.factor_failed", failed, "failure"));
  if (!locks) {
    const level = effectiveLevel(verification, call, lock, now);
    return { match: false, level, locked: false, attemptsLeft: MAX_FAILED_FACTORS - failures };
  }

  const lockedUntil = new Date(now.getTime() + LOCK_WINDOW_MS);
  // A code still out in any of the customer's calls cannot be used after the lock lifts.
  await tx
    .update(verificationFactors)
    .set({ outcome: "expired", answeredAt: now })
    .where(
      and(
        eq(verificationFactors.tenantId, call.tenantId),
        inArray(verificationFactors.kind, CODE_KINDS),
        eq(verificationFactors.outcome, "pending"),
        inArray(
          verificationFactors.verificationId,
          tx
            .select({ id: verifications.id })
            .from(verifications)
            .innerJoin(interactions, callOfVerification)
            .where(
              and(
                eq(interactions.tenantId, call.tenantId),
                eq(interactions.customerId, call.customerId),
                isNull(interactions.endedAt),
              ),
            ),
        ),
      ),
    );
  await tx.insert(verificationAlerts).values({
    tenantId: call.tenantId,
    verificationId: verification.id,
    interactionId: call.id,
    customerId: call.customerId,
    agentId: call.agentId,
    reason: `${MAX_FAILED_FACTORS} failed verification attempts within 24 hours`,
    createdAt: now,
  });
  const lockedFor = { failedForCustomer: failures, lockedUntil: lockedUntil.toISOString() };
  await recordAudit(tx, actor, verificationEvent(call, verification, "verification.locked", lockedFor, "failure"));
  return { match: false, level: "none", locked: true, attemptsLeft: 0, lockedUntil };
}

function verificationEvent(call: Interaction, verification: Verification, action: string, after: Record<string, unknown>, outcome: "success" | "failure" = "success") {
  return { tenantId: call.tenantId, action, entityType: "verification", entityId: verification.id, customerId: call.customerId, interactionId: call.id, after, outcome };
}

/** What the verification panel shows during a call. Nothing in it is a stored answer. */
export async function verificationState(db: Db, actor: Actor, interactionId: string, now = new Date()): Promise<VerificationState> {
  const call = await heldCall(db, actor, interactionId);
  const [verification] = await db.select().from(verifications).where(and(eq(verifications.tenantId, call.tenantId), eq(verifications.interactionId, call.id)));
  const customer = await customerOf(db, call);
  const lock = await verificationLock(db, customer, now);
  const failures = lock.lockedUntil ? MAX_FAILED_FACTORS : await failuresSince(db, customer, countingFrom(lock, now));
  const security = await securityOf(db, customer);
  const factors = verification
    ? await db
        .select()
        .from(verificationFactors)
        .where(and(eq(verificationFactors.tenantId, call.tenantId), eq(verificationFactors.verificationId, verification.id)))
        .orderBy(verificationFactors.createdAt)
    : [];
  const level = verification ? effectiveLevel(verification, call, lock, now) : "none";
  const available = await knowledgeOnFile(db, customer);
  return {
    level,
    validUntil: level !== "none" && verification?.levelReachedAt ? new Date(verification.levelReachedAt.getTime() + VERIFICATION_TTL_MS) : null,
    locked: lock.lockedUntil !== null,
    lockedUntil: lock.lockedUntil,
    attemptsLeft: Math.max(0, MAX_FAILED_FACTORS - failures),
    factors: factors.map((f) => ({ kind: f.kind, label: FACTOR_LABELS[f.kind], outcome: f.outcome, destination: f.destination, at: f.answeredAt ?? f.createdAt })),
    codePending:
      !lock.lockedUntil &&
      factors.some((f) => f.codeHash && f.outcome === "pending" && f.codeExpiresAt && f.codeExpiresAt > now),
    availableChecks: KNOWLEDGE_FACTORS.filter((k) => available[k]).map((kind) => ({
      kind,
      label: FACTOR_LABELS[kind],
      prompt: kind === "security_question" ? (security?.securityQuestion ?? undefined) : undefined,
    })),
    codeDestinations: [
      ...(customer.phone ? [{ channel: "sms" as const, to: maskPhone(customer.phone)! }] : []),
      ...(customer.email ? [{ channel: "email" as const, to: maskEmail(customer.email)! }] : []),
    ],
  };
}

export type VerifiedContext = { call: Interaction; verification: Verification; level: VerificationLevel };

/**
 * The gate of every in-call action: the agent holds this open call with this customer, and the
 * caller is verified at the level the action needs, now. Call it inside the action's transaction.
 */
export async function requireVerification(db: Db, actor: Actor, interactionId: string, customerId: string, action: VerifiedAction, now = new Date()): Promise<VerifiedContext> {
  const call = await heldCall(db, actor, interactionId);
  if (call.customerId !== customerId) throw new ConflictError("This call is with another customer.");
  const [verification] = await db.select().from(verifications).where(and(eq(verifications.tenantId, call.tenantId), eq(verifications.interactionId, call.id)));
  const lock = await verificationLock(db, customerOfCall(call), now);
  const level = verification ? effectiveLevel(verification, call, lock, now) : "none";
  const needed = REQUIRED_LEVEL[action];
  if (!verification || !meets(level, needed)) throw new VerificationRequiredError(needed, action.replaceAll("_", " "));
  if (BLOCKED_WHILE_RESTRICTED.includes(action) && (await customerOf(db, call)).restricted) {
    throw new ConflictError("Processing of this customer's data is restricted at their request: only a correction of their details can be made until the restriction is lifted.");
  }
  return { call, verification, level };
}

export const closeAlertSchema = z.object({
  alertId: z.uuid("Unknown alert"),
  note: z.string().trim().min(3, "Write what you found and did").max(2000, "At most 2,000 characters").superRefine(refuseCardData),
});

export type AlertView = typeof verificationAlerts.$inferSelect & {
  customerName: string;
  customerRef: string;
  agentEmail: string | null;
  /** Until when this alert locks the customer's verification; null once 24 hours have passed. */
  locksUntil: Date | null;
};

/** When an open alert stops locking the customer by itself: 24 hours after it was raised. */
const lockEnd = (alert: Pick<VerificationAlert, "createdAt" | "closedAt">, now: Date): Date | null => {
  const end = new Date(alert.createdAt.getTime() + LOCK_WINDOW_MS);
  return !alert.closedAt && end > now ? end : null;
};

/** Open verification alerts of the supervisor's tenants, oldest first. */
export async function openVerificationAlerts(db: Db, actor: Actor, now = new Date()): Promise<AlertView[]> {
  assertRole(actor, "supervisor", "admin");
  if (actor.type !== "staff" || actor.tenantIds.length === 0) return [];
  const rows = await db
    .select({ alert: verificationAlerts, customerName: customers.name, customerRef: customers.ref, agentEmail: sql<string | null>`(select email from staff_users where id = ${verificationAlerts.agentId})` })
    .from(verificationAlerts)
    .innerJoin(customers, and(eq(customers.tenantId, verificationAlerts.tenantId), eq(customers.id, verificationAlerts.customerId)))
    .where(and(inArray(verificationAlerts.tenantId, actor.tenantIds), isNull(verificationAlerts.closedAt)))
    .orderBy(verificationAlerts.createdAt);
  return rows.map((r) => ({
    ...r.alert,
    customerName: r.customerName,
    customerRef: r.customerRef,
    agentEmail: r.agentEmail,
    locksUntil: lockEnd(r.alert, now),
  }));
}

/** How many alerts wait for review in the supervisor's tenants (shown in the navigation). */
export async function openVerificationAlertCount(db: Db, actor: Actor): Promise<number> {
  if (actor.type !== "staff" || actor.role === "agent" || actor.tenantIds.length === 0) return 0;
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(verificationAlerts)
    .where(and(inArray(verificationAlerts.tenantId, actor.tenantIds), isNull(verificationAlerts.closedAt)));
  return Number(row?.n ?? 0);
}

/**
 * A supervisor closes an alert with a note of what they found and did; closing it lifts the lock on
 * the customer's verification (a lock also lifts by itself 24 hours after the alert was raised).
 */
export async function closeVerificationAlert(
  db: Db,
  actor: Actor,
  input: z.output<typeof closeAlertSchema>,
  now = new Date(),
): Promise<void> {
  assertRole(actor, "supervisor", "admin");
  if (actor.type !== "staff") throw new NotFoundError();
  // The note is the record of the review: required here too, whatever door the input came through.
  const checked = closeAlertSchema.safeParse(input);
  if (!checked.success) throw new ValidationError(fieldErrorsFromZod(checked.error.issues));
  const { note } = checked.data;
  await db.transaction(async (tx) => {
    const [alert] = await tx.select().from(verificationAlerts).where(eq(verificationAlerts.id, input.alertId)).for("update");
    if (!alert || !actor.tenantIds.includes(alert.tenantId)) throw new NotFoundError("No such alert");
    if (alert.closedAt) throw new ConflictError("This alert is already closed.");
    await tx
      .update(verificationAlerts)
      .set({ closedAt: now, closedBy: actor.id, closingNote: note })
      .where(and(eq(verificationAlerts.tenantId, alert.tenantId), eq(verificationAlerts.id, alert.id)));
    await recordAudit(tx, actor, {
      tenantId: alert.tenantId,
      action: "verification_alert.closed",
      entityType: "verification_alert",
      entityId: alert.id,
      customerId: alert.customerId,
      interactionId: alert.interactionId,
      after: { liftedLock: lockEnd(alert, now) !== null },
      reason: note,
    });
  });
}
