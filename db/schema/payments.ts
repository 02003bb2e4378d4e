import { sql } from "drizzle-orm";
import { boolean, foreignKey, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { customers, type PostalAddress } from "./customers";
import { interactions } from "./interactions";

export const paymentMethodKind = pgEnum("payment_method_kind", ["card", "bank_account"]);

/**
 * The embedded payment vault's own records: what a processor's tokenization service keeps about a
 * token. It never holds a card number or security code: only the token, a keyed fingerprint of the
 * number (to spot the same card twice), and what may be shown (brand, last 4, expiry). A real
 * processor keeps this on its side; the adapter for it does not use this table.
 */
export const vaultTokens = pgTable(
  "vault_tokens",
  {
    tenantId: uuid("tenant_id").notNull(),
    token: text("token").notNull(),
    kind: paymentMethodKind("kind").notNull(),
    fingerprint: text("fingerprint").notNull(),
    brand: text("brand").notNull(),
    last4: text("last4").notNull(),
    expMonth: integer("exp_month"),
    expYear: integer("exp_year"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    removedAt: timestamp("removed_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.token] })],
);

/** A customer's card or bank account as Attest knows it: a vault token and what may be shown. */
export const paymentMethods = pgTable(
  "payment_methods",
  {
    tenantId: uuid("tenant_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    customerId: uuid("customer_id").notNull(),
    kind: paymentMethodKind("kind").notNull(),
    vaultToken: text("vault_token").notNull(),
    /** Keyed hash from the vault: the same card added twice has the same fingerprint. */
    fingerprint: text("fingerprint").notNull(),
    /** Card brand (visa, mastercard, amex…) or, for a bank account, its scheme (iban, us_ach). */
    brand: text("brand").notNull(),
    last4: text("last4").notNull(),
    expMonth: integer("exp_month"),
    expYear: integer("exp_year"),
    holderName: text("holder_name"),
    billingAddress: jsonb("billing_address").$type<PostalAddress>(),
    isDefault: boolean("is_default").notNull().default(false),
    addedInInteractionId: uuid("added_in_interaction_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    removedAt: timestamp("removed_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.customerId], foreignColumns: [customers.tenantId, customers.id] }),
    index("payment_methods_customer_idx").on(t.tenantId, t.customerId),
    // At most one default among a customer's current payment methods.
    uniqueIndex("payment_methods_one_default").on(t.tenantId, t.customerId).where(sql`${t.isDefault} and ${t.removedAt} is null`),
  ],
);

/**
 * Recording paused while card details are taken (PCI DSS, RULES.md F5): each pause of a call's
 * recording and when it resumed, so that the recording provably holds no card data.
 */
export const recordingPauses = pgTable(
  "recording_pauses",
  {
    tenantId: uuid("tenant_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    interactionId: uuid("interaction_id").notNull(),
    reason: text("reason").notNull(),
    pausedAt: timestamp("paused_at", { withTimezone: true }).notNull(),
    pausedBy: uuid("paused_by").notNull(),
    resumedAt: timestamp("resumed_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.interactionId], foreignColumns: [interactions.tenantId, interactions.id] }),
    // A call has at most one pause open at a time.
    uniqueIndex("recording_pauses_one_open").on(t.tenantId, t.interactionId).where(sql`${t.resumedAt} is null`),
  ],
);

export type VaultToken = typeof vaultTokens.$inferSelect;
export type PaymentMethod = typeof paymentMethods.$inferSelect;
export type RecordingPause = typeof recordingPauses.$inferSelect;
