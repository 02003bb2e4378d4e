import { foreignKey, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid, boolean } from "drizzle-orm/pg-core";
import { customers } from "./customers";
import { tenants } from "./tenants";

export const billingCycle = pgEnum("billing_cycle", ["monthly", "yearly"]);
export const subscriptionStatus = pgEnum("subscription_status", ["active", "paused", "cancelled"]);

/** A tenant's plan catalogue. `rank` orders plans: a higher rank is an upgrade. Prices in minor units. */
export const plans = pgTable(
  "plans",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    id: uuid("id").notNull().defaultRandom(),
    key: text("key").notNull(),
    name: text("name").notNull(),
    rank: integer("rank").notNull(),
    currency: text("currency").notNull(),
    monthlyPrice: integer("monthly_price").notNull(),
    yearlyPrice: integer("yearly_price").notNull(),
    active: boolean("active").notNull().default(true),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), uniqueIndex("plans_tenant_key").on(t.tenantId, t.key)],
);

/** Extras a subscription can carry, priced per cycle like plans. */
export const planAddOns = pgTable(
  "plan_add_ons",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    id: uuid("id").notNull().defaultRandom(),
    key: text("key").notNull(),
    name: text("name").notNull(),
    monthlyPrice: integer("monthly_price").notNull(),
    yearlyPrice: integer("yearly_price").notNull(),
    active: boolean("active").notNull().default(true),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), uniqueIndex("plan_add_ons_tenant_key").on(t.tenantId, t.key)],
);

/**
 * A customer's subscription. A downgrade or a cycle switch waits for the end of the period: it is
 * held in the `pending…` columns with its effective date until then.
 */
export const subscriptions = pgTable(
  "subscriptions",
  {
    tenantId: uuid("tenant_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    customerId: uuid("customer_id").notNull(),
    planId: uuid("plan_id").notNull(),
    cycle: billingCycle("cycle").notNull(),
    addOnKeys: text("add_on_keys").array().notNull().default([]),
    status: subscriptionStatus("status").notNull().default("active"),
    currentPeriodStart: timestamp("current_period_start", { withTimezone: true }).notNull(),
    currentPeriodEnd: timestamp("current_period_end", { withTimezone: true }).notNull(),
    pendingPlanId: uuid("pending_plan_id"),
    pendingCycle: billingCycle("pending_cycle"),
    pendingEffectiveAt: timestamp("pending_effective_at", { withTimezone: true }),
    pausedAt: timestamp("paused_at", { withTimezone: true }),
    cancelledAt: timestamp("cancelled_at", { withTimezone: true }),
    statusReason: text("status_reason"),
    version: integer("version").notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.customerId], foreignColumns: [customers.tenantId, customers.id] }),
    foreignKey({ columns: [t.tenantId, t.planId], foreignColumns: [plans.tenantId, plans.id] }),
    index("subscriptions_customer_idx").on(t.tenantId, t.customerId),
  ],
);

/** Every change to a subscription: what changed, from when, and the price difference (minor units, per cycle or prorated). */
export const subscriptionChanges = pgTable(
  "subscription_changes",
  {
    tenantId: uuid("tenant_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    subscriptionId: uuid("subscription_id").notNull(),
    customerId: uuid("customer_id").notNull(),
    kind: text("kind").notNull(),
    before: jsonb("before"),
    after: jsonb("after"),
    effectiveAt: timestamp("effective_at", { withTimezone: true }).notNull(),
    /** What the customer pays now (positive) or is credited (negative), in minor units; 0 when nothing changes now. */
    amountDueNow: integer("amount_due_now").notNull().default(0),
    /** The change in the recurring price per cycle from the effective date, in minor units. */
    recurringDifference: integer("recurring_difference").notNull().default(0),
    reason: text("reason"),
    interactionId: uuid("interaction_id"),
    changedBy: uuid("changed_by"),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), index("subscription_changes_subscription_idx").on(t.tenantId, t.subscriptionId, t.at)],
);

export type Plan = typeof plans.$inferSelect;
export type PlanAddOn = typeof planAddOns.$inferSelect;
export type Subscription = typeof subscriptions.$inferSelect;
export type SubscriptionChange = typeof subscriptionChanges.$inferSelect;
export type BillingCycle = (typeof billingCycle.enumValues)[number];
