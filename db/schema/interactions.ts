import { foreignKey, index, integer, pgEnum, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { customers } from "./customers";
import { staffUsers } from "./staff";
import { tenants } from "./tenants";

export const interactionChannel = pgEnum("interaction_channel", ["phone", "chat"]);
export const callDisposition = pgEnum("call_disposition", [
  "resolved",
  "follow_up",
  "transferred",
  "escalated",
  "dropped",
  "wrong_caller",
]);

/** One call handled by one agent for one customer. Everything done during the call references it. */
export const interactions = pgTable(
  "interactions",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    id: uuid("id").notNull().defaultRandom(),
    customerId: uuid("customer_id").notNull(),
    agentId: uuid("agent_id")
      .notNull()
      .references(() => staffUsers.id),
    channel: interactionChannel("channel").notNull().default("phone"),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    callerNumber: text("caller_number"),
    recordingRef: text("recording_ref"),
    disposition: callDisposition("disposition"),
    summary: text("summary"),
    version: integer("version").notNull().default(1),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.customerId], foreignColumns: [customers.tenantId, customers.id] }),
    index("interactions_customer_idx").on(t.tenantId, t.customerId, t.startedAt),
    index("interactions_agent_open_idx").on(t.agentId, t.endedAt),
  ],
);

export type Interaction = typeof interactions.$inferSelect;
export type CallDisposition = (typeof callDisposition.enumValues)[number];
