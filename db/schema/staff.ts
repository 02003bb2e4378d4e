import { boolean, index, integer, pgEnum, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tenants } from "./tenants";

export const staffRole = pgEnum("staff_role", ["agent", "supervisor", "admin"]);

/** A person of the BPO with their own login (RULES.md G7: no shared accounts). */
export const staffUsers = pgTable("staff_users", {
  id: uuid("id").primaryKey().defaultRandom(),
  email: text("email").notNull().unique(),
  name: text("name").notNull(),
  role: staffRole("role").notNull(),
  passwordHash: text("password_hash").notNull(),
  active: boolean("active").notNull().default(true),
  failedSignIns: integer("failed_sign_ins").notNull().default(0),
  lockedUntil: timestamp("locked_until", { withTimezone: true }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const staffTenants = pgTable(
  "staff_tenants",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    staffId: uuid("staff_id")
      .notNull()
      .references(() => staffUsers.id),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.staffId] }), index("staff_tenants_staff_idx").on(t.staffId)],
);

/**
 * Server-side record of a signed-in session. The JWT in the cookie only names it; the row decides
 * whether it is still alive (12 h absolute, 30 min idle, ended by sign-out), so every replica agrees.
 */
export const staffSessions = pgTable(
  "staff_sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    staffId: uuid("staff_id")
      .notNull()
      .references(() => staffUsers.id),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    ip: text("ip"),
  },
  (t) => [index("staff_sessions_staff_idx").on(t.staffId)],
);

export type StaffUser = typeof staffUsers.$inferSelect;
export type StaffRole = (typeof staffRole.enumValues)[number];
