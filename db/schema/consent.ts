import { sql } from "drizzle-orm";
import { boolean, foreignKey, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { customers } from "./customers";
import { tenants } from "./tenants";

export const legalBasis = pgEnum("legal_basis", ["consent", "legitimate_interests", "contract", "legal_obligation", "vital_interests", "public_task"]);
export const consentChannel = pgEnum("consent_channel", ["email", "sms", "phone", "post", "in_app"]);
export const consentAction = pgEnum("consent_action", ["grant", "refuse", "withdraw", "renew", "expire", "invalidate", "request_confirmation", "confirm", "object"]);
export const consentMethod = pgEnum("consent_method", ["verbal", "web", "written", "ivr", "api", "gpc", "import"]);
export const consentStatus = pgEnum("consent_status", ["granted", "refused", "withdrawn", "expired", "pending_confirmation", "invalidated", "objected"]);
export const noticeKind = pgEnum("notice_kind", ["script", "web"]);

/** A tenant's reason for processing (`marketing`, `profiling`…). Consent never carries between tenants. */
export const purposes = pgTable(
  "purposes",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    id: uuid("id").notNull().defaultRandom(),
    key: text("key").notNull(),
    name: text("name").notNull(),
    legalBasis: legalBasis("legal_basis").notNull().default("consent"),
    /** `marketing` purposes are all covered by a marketing objection (RULES.md B13). */
    category: text("category").notNull(),
    /** Art. 9 special category: explicit, two-step consent (RULES.md A8). */
    specialCategory: boolean("special_category").notNull().default(false),
    channels: consentChannel("channels").array().notNull(),
    /** A grant older than this is flagged `reviewDue` (a policy choice, not a legal expiry: A12). */
    reviewIntervalDays: integer("review_interval_days"),
    /** A grant lapses after this many days, where the tenant wants consent to expire. */
    validForDays: integer("valid_for_days"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), uniqueIndex("purposes_tenant_key").on(t.tenantId, t.key)],
);

/**
 * The exact words: a script an agent reads or a text a web page shows, for a set of purposes in one
 * language. Published versions are immutable (a trigger refuses UPDATE and DELETE) and hashed.
 */
export const notices = pgTable(
  "notices",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    id: uuid("id").notNull().defaultRandom(),
    purposeKeys: text("purpose_keys").array().notNull(),
    kind: noticeKind("kind").notNull(),
    language: text("language").notNull(),
    version: integer("version").notNull(),
    text: text("text").notNull(),
    /** SHA-256 of the text, so a receipt proves which words were heard or shown. */
    hash: text("hash").notNull(),
    publishedAt: timestamp("published_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), uniqueIndex("notices_version_key").on(t.tenantId, t.kind, t.language, t.purposeKeys, t.version)],
);

/**
 * The ledger: append-only (a trigger refuses UPDATE and DELETE). Each event carries the hash of the
 * previous event of the same customer (`chainSeq` numbers them, and is unique, so the chain cannot
 * fork). It holds no direct personal data: contact points are hashed and the evidence (the words
 * said, IP, user agent) lives in `consent_evidence`, covered here only by its hash, so that erasing
 * a customer leaves a chain that still verifies.
 */
export const consentEvents = pgTable(
  "consent_events",
  {
    tenantId: uuid("tenant_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    customerId: uuid("customer_id").notNull(),
    chainSeq: integer("chain_seq").notNull(),
    purposeId: uuid("purpose_id").notNull(),
    channel: consentChannel("channel").notNull(),
    contactPointHash: text("contact_point_hash"),
    action: consentAction("action").notNull(),
    method: consentMethod("method").notNull(),
    noticeId: uuid("notice_id"),
    language: text("language"),
    capturedByType: text("captured_by_type").notNull(),
    capturedById: text("captured_by_id"),
    interactionId: uuid("interaction_id"),
    recordingRef: text("recording_ref"),
    evidenceHash: text("evidence_hash"),
    jurisdiction: text("jurisdiction").array().notNull(),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    recordedAt: timestamp("recorded_at", { withTimezone: true }).notNull().defaultNow(),
    validUntil: timestamp("valid_until", { withTimezone: true }),
    idempotencyKey: text("idempotency_key"),
    prevHash: text("prev_hash"),
    hash: text("hash").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    uniqueIndex("consent_events_chain_key").on(t.tenantId, t.customerId, t.chainSeq),
    uniqueIndex("consent_events_idempotency_key").on(t.tenantId, t.idempotencyKey).where(sql`${t.idempotencyKey} is not null`),
    // chain_seq last: the latest event at a time comes straight off the index, with no sort (two events can share an instant).
    index("consent_events_check_idx").on(t.tenantId, t.customerId, t.purposeId, t.channel, t.occurredAt, t.chainSeq),
    foreignKey({ columns: [t.tenantId, t.customerId], foreignColumns: [customers.tenantId, customers.id] }),
    foreignKey({ columns: [t.tenantId, t.purposeId], foreignColumns: [purposes.tenantId, purposes.id] }),
  ],
);

/** What was said or shown when consent changed: erasable personal data, proven by its hash in the ledger. */
export const consentEvidence = pgTable(
  "consent_evidence",
  {
    tenantId: uuid("tenant_id").notNull(),
    eventId: uuid("event_id").notNull(),
    evidence: jsonb("evidence").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.eventId] })],
);

/** Current state per customer × purpose × channel, written with each event; rebuildable from the ledger. */
export const consentState = pgTable(
  "consent_state",
  {
    tenantId: uuid("tenant_id").notNull(),
    customerId: uuid("customer_id").notNull(),
    purposeId: uuid("purpose_id").notNull(),
    channel: consentChannel("channel").notNull(),
    status: consentStatus("status").notNull(),
    eventId: uuid("event_id").notNull(),
    since: timestamp("since", { withTimezone: true }).notNull(),
    validUntil: timestamp("valid_until", { withTimezone: true }),
    contactPointHash: text("contact_point_hash"),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.customerId, t.purposeId, t.channel] }),
    // The expiry sweep's work list: grants with an end date, across tenants.
    index("consent_state_expiry_idx").on(t.validUntil).where(sql`${t.status} = 'granted' and ${t.validUntil} is not null`),
  ],
);

/**
 * A customer's report that consent recorded in their name was not theirs ("this wasn't me" in a
 * receipt). The events it names are invalidated when it is made; supervisors review and close it.
 */
export const consentDisputes = pgTable(
  "consent_disputes",
  {
    tenantId: uuid("tenant_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    customerId: uuid("customer_id").notNull(),
    interactionId: uuid("interaction_id"),
    /** The events the customer disputed (each now followed by an `invalidate` event). */
    eventIds: uuid("event_ids").array().notNull(),
    reportedAt: timestamp("reported_at", { withTimezone: true }).notNull().defaultNow(),
    ip: text("ip"),
    closedAt: timestamp("closed_at", { withTimezone: true }),
    closedBy: uuid("closed_by"),
    closingNote: text("closing_note"),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.customerId], foreignColumns: [customers.tenantId, customers.id] }),
    index("consent_disputes_open_idx").on(t.tenantId, t.closedAt, t.reportedAt),
  ],
);

export type Purpose = typeof purposes.$inferSelect;
export type ConsentDispute = typeof consentDisputes.$inferSelect;
export type Notice = typeof notices.$inferSelect;
export type ConsentEvent = typeof consentEvents.$inferSelect;
export type ConsentChannel = (typeof consentChannel.enumValues)[number];
export type ConsentAction = (typeof consentAction.enumValues)[number];
export type ConsentStatus = (typeof consentStatus.enumValues)[number];
