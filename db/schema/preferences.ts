import { foreignKey, integer, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid, boolean } from "drizzle-orm/pg-core";
import { customers } from "./customers";
import { tenants } from "./tenants";

export const marketingFrequency = pgEnum("marketing_frequency", ["as_it_happens", "weekly", "monthly", "quarterly"]);

/** A tenant's catalogue of marketing topics a customer may choose from. */
export const preferenceTopics = pgTable(
  "preference_topics",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    id: uuid("id").notNull().defaultRandom(),
    key: text("key").notNull(),
    name: text("name").notNull(),
    active: boolean("active").notNull().default(true),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), uniqueIndex("preference_topics_tenant_key").on(t.tenantId, t.key)],
);

/**
 * What a customer likes to hear about and how often. Preferences are not consent: they narrow what a
 * consented channel carries, and never allow a channel by themselves (RULES.md A4, E).
 */
export const customerPreferences = pgTable(
  "customer_preferences",
  {
    tenantId: uuid("tenant_id").notNull(),
    customerId: uuid("customer_id").notNull(),
    topicKeys: text("topic_keys").array().notNull().default([]),
    frequency: marketingFrequency("frequency"),
    version: integer("version").notNull().default(1),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.customerId] }), foreignKey({ columns: [t.tenantId, t.customerId], foreignColumns: [customers.tenantId, customers.id] })],
);

export type PreferenceTopic = typeof preferenceTopics.$inferSelect;
export type CustomerPreferences = typeof customerPreferences.$inferSelect;
export type MarketingFrequency = (typeof marketingFrequency.enumValues)[number];
