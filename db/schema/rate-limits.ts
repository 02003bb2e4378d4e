import { doublePrecision, index, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Token buckets for rate limits, in the database so that every replica counts against the same
 * bucket. `bucket` names what is limited and for whom (e.g. `api:<key id>`, `signin-ip:<address>`);
 * a bucket is refilled by the time passed since `refreshed_at`, and taken from in one statement.
 */
export const rateLimitBuckets = pgTable(
  "rate_limit_buckets",
  {
    bucket: text("bucket").primaryKey(),
    tokens: doublePrecision("tokens").notNull(),
    refreshedAt: timestamp("refreshed_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("rate_limit_buckets_refreshed_idx").on(t.refreshedAt)],
);
