import { foreignKey, index, integer, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { customers } from "./customers";
import { interactions } from "./interactions";
import { staffUsers } from "./staff";
import { tenants } from "./tenants";

export const verificationLevel = pgEnum("verification_level", ["none", "basic", "strong"]);
export const verificationFactorKind = pgEnum("verification_factor_kind", [
  "otp_sms",
  "otp_email",
  "date_of_birth",
  "postcode",
  /** Retired: the agent could see the account reference. Kept so that older factors still read. */
  "account_last4",
  "security_question",
  /** Last 4 digits of a payment method on file, never shown to the agent before strong verification. */
  "payment_last4",
]);
export const factorOutcome = pgEnum("factor_outcome", ["pending", "match", "no_match", "expired"]);

/**
 * Identity verification of the caller, one per call. The level holds only inside its call and for
 * 30 minutes from when it was reached; three failed factors lock it.
 */
export const verifications = pgTable(
  "verifications",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    id: uuid("id").notNull().defaultRandom(),
    interactionId: uuid("interaction_id").notNull(),
    customerId: uuid("customer_id").notNull(),
    agentId: uuid("agent_id")
      .notNull()
      .references(() => staffUsers.id),
    level: verificationLevel("level").notNull().default("none"),
    levelReachedAt: timestamp("level_reached_at", { withTimezone: true }),
    failedFactors: integer("failed_factors").notNull().default(0),
    lockedAt: timestamp("locked_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex("verifications_interaction_key").on(t.tenantId, t.interactionId),
    foreignKey({ columns: [t.tenantId, t.interactionId], foreignColumns: [interactions.tenantId, interactions.id] }),
    foreignKey({ columns: [t.tenantId, t.customerId], foreignColumns: [customers.tenantId, customers.id] }),
  ],
);

/** One factor asked: a code sent to a contact point on file, or a knowledge check. Never the answer. */
export const verificationFactors = pgTable(
  "verification_factors",
  {
    tenantId: uuid("tenant_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    verificationId: uuid("verification_id").notNull(),
    kind: verificationFactorKind("kind").notNull(),
    outcome: factorOutcome("outcome").notNull().default("pending"),
    /** HMAC of the one-time code; the code itself is only in the sealed message. */
    codeHash: text("code_hash"),
    codeExpiresAt: timestamp("code_expires_at", { withTimezone: true }),
    codeTries: integer("code_tries").notNull().default(0),
    /** Masked contact point the code went to. */
    destination: text("destination"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    answeredAt: timestamp("answered_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.verificationId], foreignColumns: [verifications.tenantId, verifications.id] }),
    index("verification_factors_verification_idx").on(t.tenantId, t.verificationId),
  ],
);

/** Raised when a call's verification locks: supervisors review it and close it with a note. */
export const verificationAlerts = pgTable(
  "verification_alerts",
  {
    tenantId: uuid("tenant_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    verificationId: uuid("verification_id").notNull(),
    interactionId: uuid("interaction_id").notNull(),
    customerId: uuid("customer_id").notNull(),
    agentId: uuid("agent_id").notNull(),
    reason: text("reason").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    closedAt: timestamp("closed_at", { withTimezone: true }),
    closedBy: uuid("closed_by"),
    closingNote: text("closing_note"),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.verificationId], foreignColumns: [verifications.tenantId, verifications.id] }),
    index("verification_alerts_open_idx").on(t.tenantId, t.closedAt, t.createdAt),
  ],
);

/** The customer's security settings: the question and the hash of its normalised answer. */
export const customerSecurity = pgTable(
  "customer_security",
  {
    tenantId: uuid("tenant_id").notNull(),
    customerId: uuid("customer_id").notNull(),
    securityQuestion: text("security_question"),
    securityAnswerHash: text("security_answer_hash"),
    mfaResetAt: timestamp("mfa_reset_at", { withTimezone: true }),
    passwordResetSentAt: timestamp("password_reset_sent_at", { withTimezone: true }),
    /** SHA-256 of the reset link's token, so the reset page can check it; the token is only in the sealed email. */
    passwordResetTokenHash: text("password_reset_token_hash"),
    passwordResetExpiresAt: timestamp("password_reset_expires_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.customerId] }),
    foreignKey({ columns: [t.tenantId, t.customerId], foreignColumns: [customers.tenantId, customers.id] }),
  ],
);

export type Verification = typeof verifications.$inferSelect;
export type VerificationFactor = typeof verificationFactors.$inferSelect;
export type VerificationLevel = (typeof verificationLevel.enumValues)[number];
export type VerificationFactorKind = (typeof verificationFactorKind.enumValues)[number];
export type VerificationAlert = typeof verificationAlerts.$inferSelect;
