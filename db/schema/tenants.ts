import { boolean, char, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * A client brand served by the BPO: the controller of its customers' data. `rulePacks` names the
 * jurisdictions whose rules apply (see lib/tenants/rule-packs.ts); `defaultCountry` is how a phone
 * number typed without a country code is read.
 */
export const tenants = pgTable("tenants", {
  id: uuid("id").primaryKey().defaultRandom(),
  key: text("key").notNull().unique(),
  name: text("name").notNull(),
  rulePacks: text("rule_packs").array().notNull().default([]),
  defaultCountry: char("default_country", { length: 2 }).notNull(),
  /** Verification policy: whether two knowledge checks may reach the strong level without a code. */
  knowledgeOnlyStrong: boolean("knowledge_only_strong").notNull().default(false),
  /** Email grants wait for the customer to follow a confirmation link (double opt-in) before they count. */
  emailDoubleOptIn: boolean("email_double_opt_in").notNull().default(false),
  /** Staff policy: agents of this tenant must use a second factor too (supervisors and admins always do). */
  agentMfaRequired: boolean("agent_mfa_required").notNull().default(false),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export type Tenant = typeof tenants.$inferSelect;
