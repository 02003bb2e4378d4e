import { sql } from "drizzle-orm";
import {
  boolean,
  date,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { tenants } from "./tenants";

export const customerStatus = pgEnum("customer_status", ["active", "inactive", "erased"]);

export type PostalAddress = {
  line1: string;
  line2?: string | null;
  city: string;
  region?: string | null;
  postcode: string;
  country: string;
};

export const customers = pgTable(
  "customers",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    id: uuid("id").notNull().defaultRandom(),
    /** The tenant's own account reference, unique within the tenant. */
    ref: text("ref").notNull(),
    name: text("name").notNull(),
    /** The name folded to lower case without accents, for partial, accent-insensitive search. */
    nameSearch: text("name_search").notNull(),
    email: text("email"),
    /** E.164. */
    phone: text("phone"),
    address: jsonb("address").$type<PostalAddress>(),
    dateOfBirth: date("date_of_birth"),
    language: text("language"),
    status: customerStatus("status").notNull().default("active"),
    statusReason: text("status_reason"),
    restricted: boolean("restricted").notNull().default(false),
    version: integer("version").notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex("customers_tenant_ref_key").on(t.tenantId, t.ref),
    index("customers_tenant_ref_lower_idx").on(t.tenantId, sql`lower(${t.ref}) text_pattern_ops`),
    index("customers_tenant_phone_idx").on(t.tenantId, t.phone),
    index("customers_tenant_email_idx").on(t.tenantId, t.email),
    index("customers_name_trgm_idx").using("gin", sql`${t.nameSearch} gin_trgm_ops`),
  ],
);

export const contactPointKind = pgEnum("contact_point_kind", ["email", "phone"]);

/**
 * Every email and phone number a customer has had, with when. Consent given for an old number does
 * not carry to a new one, so the consent engine reads this.
 */
export const contactPointHistory = pgTable(
  "contact_point_history",
  {
    tenantId: uuid("tenant_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    customerId: uuid("customer_id").notNull(),
    kind: contactPointKind("kind").notNull(),
    value: text("value").notNull(),
    validFrom: timestamp("valid_from", { withTimezone: true }).notNull().defaultNow(),
    validTo: timestamp("valid_to", { withTimezone: true }),
    interactionId: uuid("interaction_id"),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), index("contact_point_history_customer_idx").on(t.tenantId, t.customerId, t.kind, t.validFrom)],
);

export type Customer = typeof customers.$inferSelect;
export type ContactPoint = typeof contactPointHistory.$inferSelect;
