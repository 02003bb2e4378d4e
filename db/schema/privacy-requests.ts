import { sql } from "drizzle-orm";
import { foreignKey, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { customers } from "./customers";
import { verificationLevel } from "./identity";

export const privacyRequestType = pgEnum("privacy_request_type", ["access", "portability", "rectification", "erasure", "restriction", "objection", "opt_out_sale_share"]);

/**
 * `identity_pending`: logged, but the caller's identity is not yet confirmed (B4; the reason is kept).
 * `open`: confirmed, waiting for a supervisor; `in_progress`: someone is working it;
 * `awaiting_release`: an access package is built and waits for its review and release (B7).
 */
export const privacyRequestStatus = pgEnum("privacy_request_status", ["identity_pending", "open", "in_progress", "awaiting_release", "completed", "rejected"]);

/** How the request reached us (D9 keeps the manner): a call, a chat, the tenant's systems through the API… */
export const privacyRequestChannel = pgEnum("privacy_request_channel", ["phone", "chat", "email", "web", "post", "in_person", "api", "gpc"]);

/**
 * A data-subject request (GDPR Art. 15–21, CCPA): received when the customer asked, due by the
 * tenant's jurisdiction (lib/privacy-requests/deadlines.ts). Kept after the customer is erased (B9(d),
 * D9: 24 months at least), so it holds no personal data beyond references once erasure has run.
 */
export const privacyRequests = pgTable(
  "privacy_requests",
  {
    tenantId: uuid("tenant_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    customerId: uuid("customer_id").notNull(),
    type: privacyRequestType("type").notNull(),
    status: privacyRequestStatus("status").notNull(),
    channel: privacyRequestChannel("channel").notNull(),
    /** The deadline rule applied (uk_gdpr, gdpr, ccpa, hipaa). */
    regime: text("regime").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull(),
    /** When the legal clock started: receipt, or (UK, B3) when the identity information arrived. */
    clockStartedAt: timestamp("clock_started_at", { withTimezone: true }).notNull(),
    dueAt: timestamp("due_at", { withTimezone: true }).notNull(),
    /** The due date before any extension, which an extension must come before (B2, D2, H4). */
    originalDueAt: timestamp("original_due_at", { withTimezone: true }).notNull(),
    extendedAt: timestamp("extended_at", { withTimezone: true }),
    extensionReason: text("extension_reason"),
    /** CCPA: receipt must be confirmed within 10 business days (D1). */
    acknowledgeBy: timestamp("acknowledge_by", { withTimezone: true }),
    acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true }),
    /** The call it was logged in, and the caller's verification level at that moment. */
    interactionId: uuid("interaction_id"),
    verificationLevel: verificationLevel("verification_level").notNull().default("none"),
    identityPendingReason: text("identity_pending_reason"),
    identityConfirmedAt: timestamp("identity_confirmed_at", { withTimezone: true }),
    identityConfirmedBy: uuid("identity_confirmed_by"),
    identityMethod: text("identity_method"),
    /** What the customer asked, in their own words (B1: no form, no magic words). Cleared by erasure. */
    customerWords: text("customer_words"),
    assignedTo: uuid("assigned_to"),
    /** B5: manifestly unfounded or excessive, with the justification and the response sent. */
    rejectionReason: text("rejection_reason"),
    rejectionResponse: text("rejection_response"),
    resolution: text("resolution"),
    /** Erasure: what was kept, why, and until when (B9(e)). */
    kept: jsonb("kept").$type<{ what: string; basis: string; deleteAfter: string | null }[]>(),
    completedAt: timestamp("completed_at", { withTimezone: true }),
    completedBy: uuid("completed_by"),
    version: integer("version").notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    foreignKey({ columns: [t.tenantId, t.customerId], foreignColumns: [customers.tenantId, customers.id] }),
    index("privacy_requests_queue_idx").on(t.tenantId, t.status, t.dueAt),
    index("privacy_requests_customer_idx").on(t.tenantId, t.customerId, t.receivedAt),
  ],
);

/**
 * The access or portability package of a request: one zip of JSON and CSV files, built, reviewed for
 * other people's data (B7), then released to the customer through a time-limited link whose token is
 * kept only as a hash. The zip itself is personal data: it is dropped when the link expires or the
 * customer is erased.
 */
export const accessPackages = pgTable(
  "access_packages",
  {
    tenantId: uuid("tenant_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    requestId: uuid("request_id").notNull(),
    customerId: uuid("customer_id").notNull(),
    /** The zip, base64. Null once dropped. */
    contents: text("contents"),
    sha256: text("sha256").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    /** File names and row counts, for the reviewer. */
    manifest: jsonb("manifest").$type<{ file: string; records: number }[]>().notNull(),
    builtAt: timestamp("built_at", { withTimezone: true }).notNull(),
    builtBy: uuid("built_by"),
    reviewedAt: timestamp("reviewed_at", { withTimezone: true }),
    reviewedBy: uuid("reviewed_by"),
    reviewNote: text("review_note"),
    releasedAt: timestamp("released_at", { withTimezone: true }),
    downloadTokenHash: text("download_token_hash"),
    downloadExpiresAt: timestamp("download_expires_at", { withTimezone: true }),
    downloadCount: integer("download_count").notNull().default(0),
    lastDownloadedAt: timestamp("last_downloaded_at", { withTimezone: true }),
    droppedAt: timestamp("dropped_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.id] }),
    index("access_packages_request_idx").on(t.tenantId, t.requestId),
    uniqueIndex("access_packages_token_key").on(t.downloadTokenHash).where(sql`${t.downloadTokenHash} is not null`),
  ],
);

export const suppressionKind = pgEnum("suppression_kind", ["email", "phone"]);

/**
 * What survives an erasure so that the customer is never marketed to or imported again (B9(c), B13):
 * a keyed hash of each email and phone number, never the value.
 */
export const suppressionEntries = pgTable(
  "suppression_entries",
  {
    tenantId: uuid("tenant_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    kind: suppressionKind("kind").notNull(),
    valueHash: text("value_hash").notNull(),
    reason: text("reason").notNull(),
    requestId: uuid("request_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), uniqueIndex("suppression_entries_value_key").on(t.tenantId, t.kind, t.valueHash)],
);

/**
 * Records an erasure had to keep (B9(b)): restricted to their retention purpose, with the legal basis
 * and the date after which they are deleted.
 */
export const retentionHolds = pgTable(
  "retention_holds",
  {
    tenantId: uuid("tenant_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    customerId: uuid("customer_id").notNull(),
    requestId: uuid("request_id"),
    /** What is held: `billing_records`, `privacy_requests`, `consent_ledger`… */
    category: text("category").notNull(),
    description: text("description").notNull(),
    basis: text("basis").notNull(),
    deleteAfter: timestamp("delete_after", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), index("retention_holds_customer_idx").on(t.tenantId, t.customerId)],
);

export type PrivacyRequest = typeof privacyRequests.$inferSelect;
export type PrivacyRequestType = (typeof privacyRequestType.enumValues)[number];
export type PrivacyRequestStatus = (typeof privacyRequestStatus.enumValues)[number];
export type PrivacyRequestChannel = (typeof privacyRequestChannel.enumValues)[number];
export type AccessPackage = typeof accessPackages.$inferSelect;
export type SuppressionEntry = typeof suppressionEntries.$inferSelect;
export type RetentionHold = typeof retentionHolds.$inferSelect;
