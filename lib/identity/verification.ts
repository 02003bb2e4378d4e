import { and, desc, eq, gte, inArray, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import {
  customerSecurity,
  customers,
  tenants,
  verificationAlerts,
  verificationFactors,
  verifications,
  type Customer,
  type Interaction,
  type Verification,
  type VerificationFactorKind,
  type VerificationLevel,
} from "@/db/schema";
import { assertRole, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { maskEmail, maskPhone } from "@/lib/customers/masking";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "@/lib/errors";
import { heldCall } from "@/lib/interactions/interactions";
import { enqueueMessage } from "@/lib/notifications/outbox";
import { refuseCardData } from "@/lib/payments/card-numbers";
import { verifyPassword } from "@/lib/staff/passwords";
import { hashOneTimeCode, newOneTimeCode, normalise, oneTimeCodeMatches } from "./answers";
import {
  CODE_MAX_TRIES,
  CODE_TTL_MS,
  FACTOR_LABELS,
  KNOWLEDGE_FACTORS,
  MAX_FAILED_FACTORS,
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

export const checkKnowledgeSchema = z.object({
  interactionId: z.uuid("Unknown call"),
  kind: z.enum(KNOWLEDGE_FACTORS, "Choose what to check"),
  answer: z.string().trim().min(1, "Type what the caller says").max(200, "At most 200 characters"),
});

export type CheckOutcome = { match: boolean; level: VerificationLevel; locked: boolean; attemptsLeft: number; expired?: boolean };

export type VerificationState = {
  level: VerificationLevel;
  /** When the level lapses (30 minutes after it was reached). */
  validUntil: Date | null;
  locked: boolean;
  attemptsLeft: number;
  factors: { kind: VerificationFactorKind; label: string; outcome: string; destination: string | null; at: Date }[];
  /** A code is out and may be checked. */
  codePending: boolean;
  /** Knowledge checks this customer has data for. */
  availableChecks: { kind: KnowledgeFactor; label: string; prompt?: string }[];
  /** Contact points on file a code can go to, masked. */
  codeDestinations: { channel: "sms" | "email"; to: string }[];
};

/** The level that holds now: none once locked, once lapsed, or once the call has ended. */
export function effectiveLevel(v: Pick<Verification, "level" | "levelReachedAt" | "lockedAt">, call: Pick<Interaction, "endedAt">, now = new Date()): VerificationLevel {
  if (v.lockedAt || call.endedAt || !v.levelReachedAt) return "none";
  return now.getTime() - v.levelReachedAt.getTime() < VERIFICATION_TTL_MS ? v.level : "none";
}

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

async function customerOf(tx: Db, call: Interaction): Promise<Customer> {
  const [customer] = await tx.select().from(customers).where(and(eq(customers.tenantId, call.tenantId), eq(customers.id, call.customerId)));
  if (!customer) throw new NotFoundError("No such customer");
  return customer;
}

/**
 * Sends a one-time code to a contact point already on file, never to one the caller gives
 * (RULES.md G3). The code is kept only as a keyed hash; the message body is sealed.
 */
export async function sendVerificationCode(db: Db, actor: Actor, input: z.output<typeof sendCodeSchema>, now = new Date()): Promise<{ destination: string }> {
  return db.transaction(async (tx) => {
    const call = await heldCall(tx, actor, input.interactionId);
    const verification = await verificationOf(tx, call, true);
    if (verification.lockedAt) throw new ConflictError("Verification is locked for this call after 3 failed attempts.");
    const customer = await customerOf(tx, call);
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
  });
}

/** Checks the code the caller reads out. Answers match / no match only. */
export async function checkVerificationCode(db: Db, actor: Actor, input: z.output<typeof checkCodeSchema>, now = new Date()): Promise<CheckOutcome> {
  return db.transaction(async (tx) => {
    const call = await heldCall(tx, actor, input.interactionId);
    const verification = await verificationOf(tx, call, true);
    if (verification.lockedAt) throw new ConflictError("Verification is locked for this call after 3 failed attempts.");
    const [factor] = await tx
      .select()
      .from(verificationFactors)
      .where(and(eq(verificationFactors.tenantId, call.tenantId), eq(verificationFactors.verificationId, verification.id), inArray(verificationFactors.kind, ["otp_sms", "otp_email"]), eq(verificationFactors.outcome, "pending")))
      .orderBy(desc(verificationFactors.createdAt))
      .limit(1);
    if (!factor) throw new ConflictError("No code is waiting to be checked: send a new code.");
    if (!factor.codeExpiresAt || factor.codeExpiresAt <= now) {
      await tx.update(verificationFactors).set({ outcome: "expired", answeredAt: now }).where(and(eq(verificationFactors.tenantId, call.tenantId), eq(verificationFactors.id, factor.id)));
      await recordAudit(tx, actor, verificationEvent(call, verification, "verification.code_expired", { factor: factor.kind }, "failure"));
      return { match: false, level: effectiveLevel(verification, call, now), locked: false, attemptsLeft: MAX_FAILED_FACTORS - verification.failedFactors, expired: true };
    }
    const match = oneTimeCodeMatches(factor.id, normalise.code(input.code), factor.codeHash!);
    const tries = factor.codeTries + 1;
    const outcome = match ? "match" : tries >= CODE_MAX_TRIES ? "no_match" : "pending";
    await tx
      .update(verificationFactors)
      .set({ codeTries: tries, outcome, answeredAt: outcome === "pending" ? null : now })
      .where(and(eq(verificationFactors.tenantId, call.tenantId), eq(verificationFactors.id, factor.id)));
    return settle(tx, actor, call, verification, factor.kind, match, now);
  });
}

/**
 * Compares what the caller says with what is on file. The agent sees match or no match, never the
 * stored value and never which part of an answer was wrong (RULES.md G6).
 */
export async function checkKnowledge(db: Db, actor: Actor, input: z.output<typeof checkKnowledgeSchema>, now = new Date()): Promise<CheckOutcome> {
  return db.transaction(async (tx) => {
    const call = await heldCall(tx, actor, input.interactionId);
    const verification = await verificationOf(tx, call, true);
    if (verification.lockedAt) throw new ConflictError("Verification is locked for this call after 3 failed attempts.");
    const customer = await customerOf(tx, call);
    const security = await securityOf(tx, customer);
    const expected = knowledgeOnFile(customer, security)[input.kind];
    if (expected === undefined) throw ValidationError.field("kind", "This customer has nothing on file for that check; choose another");
    const match = await expected(input.answer);
    await tx.insert(verificationFactors).values({ tenantId: call.tenantId, verificationId: verification.id, kind: input.kind, outcome: match ? "match" : "no_match", createdAt: now, answeredAt: now });
    return settle(tx, actor, call, verification, input.kind, match, now);
  });
}

type Comparer = (answer: string) => Promise<boolean>;

/** For each knowledge check the customer has data for: how to compare an answer with it. */
function knowledgeOnFile(customer: Customer, security: SecurityRow | null): Partial<Record<KnowledgeFactor, Comparer>> {
  const checks: Partial<Record<KnowledgeFactor, Comparer>> = {};
  if (customer.dateOfBirth) checks.date_of_birth = async (a) => normalise.dateOfBirth(a) === customer.dateOfBirth;
  if (customer.address?.postcode) checks.postcode = async (a) => normalise.postcode(a) === normalise.postcode(customer.address!.postcode);
  const refDigits = normalise.digits(customer.ref);
  if (refDigits.length >= 4) checks.account_last4 = async (a) => normalise.digits(a) === refDigits.slice(-4);
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

/** Records a factor's result: a match may raise the level; the third failure locks and alerts. */
async function settle(tx: Db, actor: Actor, call: Interaction, verification: Verification, kind: VerificationFactorKind, match: boolean, now: Date): Promise<CheckOutcome> {
  if (match) {
    // Factors older than the validity window no longer count towards a level.
    const matched = await tx
      .select({ kind: verificationFactors.kind, answeredAt: verificationFactors.answeredAt })
      .from(verificationFactors)
      .where(
        and(
          eq(verificationFactors.tenantId, call.tenantId),
          eq(verificationFactors.verificationId, verification.id),
          eq(verificationFactors.outcome, "match"),
          gte(verificationFactors.answeredAt, new Date(now.getTime() - VERIFICATION_TTL_MS)),
        ),
      );
    const [tenant] = await tx.select({ knowledgeOnlyStrong: tenants.knowledgeOnlyStrong }).from(tenants).where(eq(tenants.id, call.tenantId));
    const reached = levelFrom(matched.map((m) => m.kind), tenant!.knowledgeOnlyStrong);
    const current = effectiveLevel(verification, call, now);
    const raised = reached !== current && meets(reached, current);
    if (raised) {
      const since = levelSince(matched.map((m) => ({ kind: m.kind, at: m.answeredAt! })), reached, tenant!.knowledgeOnlyStrong);
      await tx.update(verifications).set({ level: reached, levelReachedAt: since }).where(and(eq(verifications.tenantId, call.tenantId), eq(verifications.id, verification.id)));
    }
    await recordAudit(tx, actor, verificationEvent(call, verification, "verification.factor_matched", { factor: kind, level: raised ? reached : current }));
    return { match: true, level: raised ? reached : current, locked: false, attemptsLeft: MAX_FAILED_FACTORS - verification.failedFactors };
  }
  const failed = verification.failedFactors + 1;
  const locks = failed >= MAX_FAILED_FACTORS;
  await tx
    .update(verifications)
    .set({ failedFactors: failed, lockedAt: locks ? now : null })
    .where(and(eq(verifications.tenantId, call.tenantId), eq(verifications.id, verification.id)));
  await recordAudit(tx, actor, verificationEvent(call, verification, "verification.factor_failed", { factor: kind, failedFactors: failed }, "failure"));
  if (locks) {
    await tx.insert(verificationAlerts).values({
      tenantId: call.tenantId,
      verificationId: verification.id,
      interactionId: call.id,
      customerId: call.customerId,
      agentId: call.agentId,
      reason: `${MAX_FAILED_FACTORS} failed verification attempts in one call`,
      createdAt: now,
    });
    await recordAudit(tx, actor, verificationEvent(call, verification, "verification.locked", { failedFactors: failed }, "failure"));
  }
  return { match: false, level: locks ? "none" : effectiveLevel(verification, call, now), locked: locks, attemptsLeft: Math.max(0, MAX_FAILED_FACTORS - failed) };
}

function verificationEvent(call: Interaction, verification: Verification, action: string, after: Record<string, unknown>, outcome: "success" | "failure" = "success") {
  return { tenantId: call.tenantId, action, entityType: "verification", entityId: verification.id, customerId: call.customerId, interactionId: call.id, after, outcome };
}

/** What the verification panel shows during a call. Nothing in it is a stored answer. */
export async function verificationState(db: Db, actor: Actor, interactionId: string, now = new Date()): Promise<VerificationState> {
  const call = await heldCall(db, actor, interactionId);
  const [verification] = await db.select().from(verifications).where(and(eq(verifications.tenantId, call.tenantId), eq(verifications.interactionId, call.id)));
  const customer = await customerOf(db, call);
  const security = await securityOf(db, customer);
  const factors = verification
    ? await db
        .select()
        .from(verificationFactors)
        .where(and(eq(verificationFactors.tenantId, call.tenantId), eq(verificationFactors.verificationId, verification.id)))
        .orderBy(verificationFactors.createdAt)
    : [];
  const level = verification ? effectiveLevel(verification, call, now) : "none";
  const available = knowledgeOnFile(customer, security);
  return {
    level,
    validUntil: level !== "none" && verification?.levelReachedAt ? new Date(verification.levelReachedAt.getTime() + VERIFICATION_TTL_MS) : null,
    locked: Boolean(verification?.lockedAt),
    attemptsLeft: MAX_FAILED_FACTORS - (verification?.failedFactors ?? 0),
    factors: factors.map((f) => ({ kind: f.kind, label: FACTOR_LABELS[f.kind], outcome: f.outcome, destination: f.destination, at: f.answeredAt ?? f.createdAt })),
    codePending: factors.some((f) => f.codeHash && f.outcome === "pending" && f.codeExpiresAt && f.codeExpiresAt > now),
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
  const level = verification ? effectiveLevel(verification, call, now) : "none";
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

export type AlertView = typeof verificationAlerts.$inferSelect & { customerName: string; customerRef: string; agentEmail: string | null };

/** Open verification alerts of the supervisor's tenants, oldest first. */
export async function openVerificationAlerts(db: Db, actor: Actor): Promise<AlertView[]> {
  assertRole(actor, "supervisor", "admin");
  if (actor.type !== "staff" || actor.tenantIds.length === 0) return [];
  const rows = await db
    .select({ alert: verificationAlerts, customerName: customers.name, customerRef: customers.ref, agentEmail: sql<string | null>`(select email from staff_users where id = ${verificationAlerts.agentId})` })
    .from(verificationAlerts)
    .innerJoin(customers, and(eq(customers.tenantId, verificationAlerts.tenantId), eq(customers.id, verificationAlerts.customerId)))
    .where(and(inArray(verificationAlerts.tenantId, actor.tenantIds), isNull(verificationAlerts.closedAt)))
    .orderBy(verificationAlerts.createdAt);
  return rows.map((r) => ({ ...r.alert, customerName: r.customerName, customerRef: r.customerRef, agentEmail: r.agentEmail }));
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

export async function closeVerificationAlert(db: Db, actor: Actor, input: z.output<typeof closeAlertSchema>): Promise<void> {
  assertRole(actor, "supervisor", "admin");
  if (actor.type !== "staff") throw new NotFoundError();
  await db.transaction(async (tx) => {
    const [alert] = await tx.select().from(verificationAlerts).where(eq(verificationAlerts.id, input.alertId)).for("update");
    if (!alert || !actor.tenantIds.includes(alert.tenantId)) throw new NotFoundError("No such alert");
    if (alert.closedAt) throw new ConflictError("This alert is already closed.");
    await tx
      .update(verificationAlerts)
      .set({ closedAt: new Date(), closedBy: actor.id, closingNote: input.note })
      .where(and(eq(verificationAlerts.tenantId, alert.tenantId), eq(verificationAlerts.id, alert.id)));
    await recordAudit(tx, actor, {
      tenantId: alert.tenantId,
      action: "verification_alert.closed",
      entityType: "verification_alert",
      entityId: alert.id,
      customerId: alert.customerId,
      interactionId: alert.interactionId,
      reason: input.note,
    });
  });
}
