import { sql } from "drizzle-orm";
import { index, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tenants } from "./tenants";

/** The webhook event types of API.md "Webhooks". */
export const WEBHOOK_EVENT_TYPES = ["consent.changed", "customer.updated", "customer.erased", "privacy_request.updated"] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * A tenant system that receives webhooks. The signing secret is shown once when the endpoint is
 * registered and kept sealed (encrypted), since every delivery must sign with it. Deliveries go
 * through the outbox (channel `webhook`), so they share its retries and attempt log.
 */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    id: uuid("id").notNull().defaultRandom(),
    url: text("url").notNull(),
    description: text("description").notNull(),
    eventTypes: text("event_types").array().notNull(),
    /** Sealed with lib/notifications/sealed.ts; never shown again after creation. */
    secretSealed: text("secret_sealed").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    createdBy: uuid("created_by"),
    disabledAt: timestamp("disabled_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), index("webhook_endpoints_active_idx").on(t.tenantId).where(sql`${t.disabledAt} is null`)],
);

export type WebhookEndpoint = typeof webhookEndpoints.$inferSelect;
