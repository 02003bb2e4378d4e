import { index, jsonb, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

export const actorType = pgEnum("actor_type", ["staff", "api_key", "customer", "system"]);
export const auditOutcome = pgEnum("audit_outcome", ["success", "failure"]);

/**
 * Append-only: a trigger (migration 0002) refuses UPDATE, DELETE and TRUNCATE. Written in the same
 * transaction as the change it records. No foreign keys, so it outlives what it describes; grows
 * without bound, so it is meant to be partitioned by `at` when a tenant's volume asks for it.
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Null only for events outside any tenant (staff administration, sign-in). */
    tenantId: uuid("tenant_id"),
    actorType: actorType("actor_type").notNull(),
    actorId: text("actor_id"),
    actorLabel: text("actor_label"),
    customerId: uuid("customer_id"),
    interactionId: uuid("interaction_id"),
    action: text("action").notNull(),
    entityType: text("entity_type").notNull(),
    entityId: text("entity_id"),
    before: jsonb("before"),
    after: jsonb("after"),
    reason: text("reason"),
    outcome: auditOutcome("outcome").notNull().default("success"),
    ip: text("ip"),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("audit_events_tenant_customer_idx").on(t.tenantId, t.customerId, t.at),
    index("audit_events_tenant_at_idx").on(t.tenantId, t.at),
  ],
);

export type AuditEvent = typeof auditEvents.$inferSelect;
