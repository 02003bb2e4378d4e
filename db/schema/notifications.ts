import { boolean, index, uniqueIndex, integer, pgEnum, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tenants } from "./tenants";

export const outboxChannel = pgEnum("outbox_channel", ["email", "sms", "webhook"]);
export const outboxStatus = pgEnum("outbox_status", ["pending", "sending", "delivered", "failed"]);

/**
 * Messages to customers, written in the same transaction as the change they tell of, delivered by a
 * worker with retries. A `sensitive` body (a one-time code, a reset link) is sealed (encrypted), never
 * stored in clear, and cleared once delivered.
 */
export const outboxMessages = pgTable(
  "outbox_messages",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    id: uuid("id").notNull().defaultRandom(),
    channel: outboxChannel("channel").notNull(),
    /** What kind of message (`contact_point_changed.old`, `verification_code`, …), for reports and tests. */
    template: text("template").notNull(),
    recipient: text("recipient").notNull(),
    subject: text("subject"),
    body: text("body"),
    sensitive: boolean("sensitive").notNull().default(false),
    customerId: uuid("customer_id"),
    interactionId: uuid("interaction_id"),
    status: outboxStatus("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    /** A worker that claimed the message holds it until then; past it, another may retry. */
    lockedUntil: timestamp("locked_until", { withTimezone: true }),
    /** Retries stop after this. */
    giveUpAt: timestamp("give_up_at", { withTimezone: true }).notNull(),
    lastError: text("last_error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index("outbox_messages_due_idx").on(t.status, t.nextAttemptAt),
    index("outbox_messages_customer_idx").on(t.tenantId, t.customerId, t.createdAt),
  ],
);

export const outboxAttempts = pgTable(
  "outbox_attempts",
  {
    tenantId: uuid("tenant_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    messageId: uuid("message_id").notNull(),
    attemptedAt: timestamp("attempted_at", { withTimezone: true }).notNull().defaultNow(),
    ok: boolean("ok").notNull(),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), index("outbox_attempts_message_idx").on(t.tenantId, t.messageId)],
);

/**
 * Where email and SMS land when no real transport is configured (development and tests). Like a
 * real provider that honours a message id, it keeps a message once however often it is handed over
 * (a worker killed between sending and recording the delivery sends again).
 */
export const devMailbox = pgTable(
  "dev_mailbox",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    tenantId: uuid("tenant_id").notNull(),
    messageId: uuid("message_id").notNull(),
    channel: outboxChannel("channel").notNull(),
    recipient: text("recipient").notNull(),
    subject: text("subject"),
    /** Sealed for sensitive messages, as in the outbox: the mailbox page opens it. */
    body: text("body").notNull(),
    sensitive: boolean("sensitive").notNull().default(false),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("dev_mailbox_received_idx").on(t.receivedAt), uniqueIndex("dev_mailbox_message_key").on(t.messageId)],
);

export type OutboxMessage = typeof outboxMessages.$inferSelect;
export type DevMailboxMessage = typeof devMailbox.$inferSelect;
