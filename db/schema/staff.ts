import { bigint, boolean, index, integer, pgEnum, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
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
  /** May create tenants and assign staff to any tenant; every other admin acts only on its own tenants. */
  platformAdmin: boolean("platform_admin").notNull().default(false),
  /** TOTP secret (RFC 6238), sealed with the keyring; null until the second factor is enrolled. */
  totpSecretSealed: text("totp_secret_sealed"),
  totpEnrolledAt: timestamp("totp_enrolled_at", { withTimezone: true }),
  /** The last TOTP time step accepted, so a code cannot be used twice. */
  totpLastStep: bigint("totp_last_step", { mode: "number" }),
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

/** Single-use recovery codes for the second factor; only a keyed hash of each is kept. */
export const staffRecoveryCodes = pgTable(
  "staff_recovery_codes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    staffId: uuid("staff_id")
      .notNull()
      .references(() => staffUsers.id),
    codeHash: text("code_hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    usedAt: timestamp("used_at", { withTimezone: true }),
  },
  (t) => [index("staff_recovery_codes_staff_idx").on(t.staffId)],
);

/**
 * The step between a correct password and a second factor: short-lived, single use, a few tries.
 * The browser holds only its id (in a sealed, HttpOnly cookie); the password is never asked twice.
 */
export const staffSignInChallenges = pgTable(
  "staff_sign_in_challenges",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    staffId: uuid("staff_id")
      .notNull()
      .references(() => staffUsers.id),
    ip: text("ip"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    usedAt: timestamp("used_at", { withTimezone: true }),
  },
  (t) => [index("staff_sign_in_challenges_staff_idx").on(t.staffId)],
);

export type StaffRecoveryCode = typeof staffRecoveryCodes.$inferSelect;
export type StaffUser = typeof staffUsers.$inferSelect;
export type StaffRole = (typeof staffRole.enumValues)[number];
