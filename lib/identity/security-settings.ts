import { createHash, randomBytes } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { customerSecurity, customers, tenants, type Customer } from "@/db/schema";
import type { Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { env } from "@/lib/env";
import { NotFoundError, ValidationError } from "@/lib/errors";
import { securityChangeNotice } from "@/lib/notifications/messages";
import { enqueueMessage } from "@/lib/notifications/outbox";
import { contactOnFile } from "@/lib/notifications/recipients";
import { hashPassword } from "@/lib/staff/passwords";
import { normalise } from "./answers";
import { requireVerification } from "./verification";

const RESET_LINK_TTL_MS = 60 * 60 * 1000;

const inCall = { interactionId: z.uuid("Unknown call"), customerId: z.uuid("Unknown customer") };

export const securityActionSchema = z.object(inCall);

export const securityQuestionSchema = z.object({
  ...inCall,
  question: z.string().trim().min(8, "Write the question in full").max(200, "At most 200 characters"),
  answer: z.string().trim().min(2, "Type the caller's answer").max(200, "At most 200 characters"),
});

/** Stores a security question with the scrypt hash of its normalised answer; never the answer. */
export async function storeSecurityAnswer(tx: Db, customer: Pick<Customer, "tenantId" | "id">, question: string, answer: string, now = new Date()): Promise<void> {
  const normalised = normalise.securityAnswer(answer);
  if (normalised.length < 2) throw ValidationError.field("answer", "The answer needs at least two letters or digits");
  const securityAnswerHash = await hashPassword(normalised);
  await tx
    .insert(customerSecurity)
    .values({ tenantId: customer.tenantId, customerId: customer.id, securityQuestion: question, securityAnswerHash, updatedAt: now })
    .onConflictDoUpdate({ target: [customerSecurity.tenantId, customerSecurity.customerId], set: { securityQuestion: question, securityAnswerHash, updatedAt: now } });
}

type Setting = "password_reset_sent" | "mfa_reset" | "security_question_set";

/** Everything a security change shares: strong verification, the audit event, the customer's notice. */
async function securityChange(
  db: Db,
  actor: Actor,
  input: { interactionId: string; customerId: string },
  setting: Setting,
  apply: (tx: Db, customer: Customer, tenantName: string, interactionId: string) => Promise<{ noticeWhat?: string; after?: Record<string, unknown> }>,
  now: Date,
): Promise<void> {
  await db.transaction(async (tx) => {
    const { call, verification, level } = await requireVerification(tx, actor, input.interactionId, input.customerId, "change_security_settings", now);
    const [customer] = await tx.select().from(customers).where(and(eq(customers.tenantId, call.tenantId), eq(customers.id, call.customerId)));
    if (!customer) throw new NotFoundError("No such customer");
    const [tenant] = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, call.tenantId));
    const { noticeWhat, after } = await apply(tx, customer, tenant!.name, call.id);
    if (noticeWhat) {
      const route = contactOnFile(customer);
      if (route) {
        const notice = securityChangeNotice(tenant!.name, noticeWhat, now);
        await enqueueMessage(tx, { tenantId: customer.tenantId, channel: route.channel, template: `security.${setting}`, recipient: route.to, subject: notice.subject, body: notice.body, customerId: customer.id, interactionId: call.id }, now);
      }
    }
    await recordAudit(tx, actor, {
      tenantId: customer.tenantId,
      action: `customer.${setting}`,
      entityType: "customer_security",
      entityId: customer.id,
      customerId: customer.id,
      interactionId: call.id,
      after: after ?? null,
      reason: `caller verified (${level}), verification ${verification.id}`,
    });
  });
}

/**
 * Sends a password-reset link to the email on file. The agent never sets or sees a password; the link
 * travels sealed and is cleared from the outbox once delivered.
 */
export async function sendPasswordReset(db: Db, actor: Actor, input: z.output<typeof securityActionSchema>, now = new Date()): Promise<void> {
  await securityChange(db, actor, input, "password_reset_sent", async (tx, customer, tenantName, interactionId) => {
    if (!customer.email) throw ValidationError.field("customerId", "There is no email address on file to send the link to");
    const token = randomBytes(32).toString("base64url");
    const link = new URL(`/reset-password/${token}`, env.APP_URL).toString();
    await enqueueMessage(tx, {
      tenantId: customer.tenantId,
      channel: "email",
      template: "security.password_reset_link",
      recipient: customer.email,
      subject: `Reset your ${tenantName} password`,
      body: `${tenantName}: you asked our team to reset your password. Follow this link within 1 hour to choose a new one: ${link}\nIf you did not ask for this, ignore this message and call us.`,
      sensitive: true,
      customerId: customer.id,
      interactionId,
      usefulForMs: RESET_LINK_TTL_MS,
    }, now);
    await upsertSecurity(tx, customer, {
      passwordResetSentAt: now,
      passwordResetTokenHash: createHash("sha256").update(token).digest("hex"),
      passwordResetExpiresAt: new Date(now.getTime() + RESET_LINK_TTL_MS),
    }, now);
    return { after: { sentTo: "email on file" } };
  }, now);
}

/** Resets two-step verification: the customer enrols again at next sign-in. */
export async function resetMultiFactor(db: Db, actor: Actor, input: z.output<typeof securityActionSchema>, now = new Date()): Promise<void> {
  await securityChange(db, actor, input, "mfa_reset", async (tx, customer) => {
    await upsertSecurity(tx, customer, { mfaResetAt: now }, now);
    return { noticeWhat: "two-step verification on your account was reset" };
  }, now);
}

export async function setSecurityQuestion(db: Db, actor: Actor, input: z.output<typeof securityQuestionSchema>, now = new Date()): Promise<void> {
  await securityChange(db, actor, input, "security_question_set", async (tx, customer) => {
    await storeSecurityAnswer(tx, customer, input.question, input.answer, now);
    return { noticeWhat: "the security question on your account was changed", after: { question: input.question } };
  }, now);
}

async function upsertSecurity(tx: Db, customer: Customer, set: Partial<typeof customerSecurity.$inferInsert>, now: Date) {
  await tx
    .insert(customerSecurity)
    .values({ tenantId: customer.tenantId, customerId: customer.id, ...set, updatedAt: now })
    .onConflictDoUpdate({ target: [customerSecurity.tenantId, customerSecurity.customerId], set: { ...set, updatedAt: sql`excluded.updated_at` } });
}
