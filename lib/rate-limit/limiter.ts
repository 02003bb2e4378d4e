import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { DomainError } from "@/lib/errors";
import { startPeriodicJob } from "@/lib/jobs/periodic";

/**
 * Rate limits as token buckets kept in PostgreSQL, so that every replica counts against the same
 * bucket (DESIGN.md: no in-process state shared between replicas). A bucket holds at most `burst`
 * tokens and regains `perSecond` of them each second; an action takes `cost` tokens or is refused.
 * Each call is one statement: the bucket's row is locked, refilled for the time passed, taken from
 * and written back, so concurrent requests never both spend the same token.
 */
export type RateLimit = { perSecond: number; burst: number };

export type RateDecision = {
  allowed: boolean;
  /** Whole seconds until `cost` tokens are there again. */ retryAfterSeconds: number;
};

/** Refused by a rate limit: the API answers 429 with Retry-After, a form says when to try again. */
export class RateLimitedError extends DomainError {
  constructor(
    readonly retryAfterSeconds: number,
    message = `Too many requests. Try again in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? "" : "s"}.`,
  ) {
    super(message);
  }
}

/** A limit stated per window ("20 per 15 minutes") as a bucket that refills evenly over the window. */
export function perWindow(count: number, windowMs: number): RateLimit {
  return { perSecond: count / (windowMs / 1000), burst: count };
}

function decide(available: number, cost: number, limit: RateLimit): RateDecision {
  if (available >= cost) return { allowed: true, retryAfterSeconds: 0 };
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((cost - available) / limit.perSecond)) };
}

/**
 * Takes `cost` tokens from `bucket` when it has them. A cost above the burst is taken as the burst,
 * so that a large request is slowed rather than refused for ever.
 */
export async function take(
  db: Db,
  bucket: string,
  limit: RateLimit,
  cost = 1,
  now = new Date(),
): Promise<RateDecision> {
  const need = Math.min(cost, limit.burst);
  return decide((await takeBetween(db, bucket, limit, need, need, now)).available, need, limit);
}

/** What a lease got: `granted` tokens (0 when refused) out of the `available` ones the bucket held. */
export type LeaseGrant = RateDecision & { granted: number; available: number };

/**
 * Takes at least `need` tokens and, when the bucket has them, up to `want`: a process leasing a
 * chunk of tokens to spend locally (lib/rate-limit/leases.ts) goes to the database once per chunk.
 */
export async function lease(
  db: Db,
  bucket: string,
  limit: RateLimit,
  need: number,
  want: number,
  now = new Date(),
): Promise<LeaseGrant> {
  const least = Math.min(need, limit.burst);
  const { granted, available } = await takeBetween(db, bucket, limit, least, Math.max(least, want), now);
  return { ...decide(available, least, limit), granted, available };
}

/**
 * The one statement behind take and lease: the bucket's row is locked, refilled for the time passed,
 * and `need` to `want` tokens are taken if at least `need` are there. The usual case is one
 * statement; a bucket's first use creates it full (racing creators agree through ON CONFLICT) and
 * goes again.
 */
async function takeBetween(
  db: Db,
  bucket: string,
  limit: RateLimit,
  need: number,
  want: number,
  now: Date,
): Promise<{ granted: number; available: number }> {
  const at = now.toISOString();
  for (;;) {
    const [row] = await queryRows<{ available: number; granted: number }>(
      db,
      sql`with previous as (
            select tokens, refreshed_at from rate_limit_buckets where bucket = ${bucket} for update
          ), available as (
            select least(${limit.burst}::float8,
                         tokens + greatest(0, extract(epoch from (${at}::timestamptz - refreshed_at))) * ${limit.perSecond}::float8)
                   as tokens
            from previous
          ), granted as (
            select tokens, case when tokens >= ${need}::float8 then least(tokens, ${want}::float8) else 0 end as granted
            from available
          ), written as (
            update rate_limit_buckets
            set tokens = g.tokens - g.granted, refreshed_at = greatest(refreshed_at, ${at}::timestamptz)
            from granted g
            where bucket = ${bucket}
          )
          select tokens as available, granted from granted`,
    );
    if (row) return { granted: Number(row.granted), available: Number(row.available) };
    await db.execute(
      sql`insert into rate_limit_buckets (bucket, tokens, refreshed_at)
          values (${bucket}, ${limit.burst}::float8, ${at}::timestamptz) on conflict (bucket) do nothing`,
    );
  }
}

/** Whether `cost` tokens are there, without taking them (e.g. before checking a password). */
export async function peek(
  db: Db,
  bucket: string,
  limit: RateLimit,
  cost = 1,
  now = new Date(),
): Promise<RateDecision> {
  const [row] = await queryRows<{ tokens: number; refreshed_at: string | Date }>(
    db,
    sql`select tokens, refreshed_at from rate_limit_buckets where bucket = ${bucket}`,
  );
  const need = Math.min(cost, limit.burst);
  if (!row) return decide(limit.burst, need, limit);
  const elapsed = Math.max(0, (now.getTime() - new Date(row.refreshed_at).getTime()) / 1000);
  return decide(Math.min(limit.burst, Number(row.tokens) + elapsed * limit.perSecond), need, limit);
}

/** Takes the tokens or throws RateLimitedError. */
export async function takeOrRefuse(
  db: Db,
  bucket: string,
  limit: RateLimit,
  cost = 1,
  now = new Date(),
): Promise<void> {
  const decision = await take(db, bucket, limit, cost, now);
  if (!decision.allowed) throw new RateLimitedError(decision.retryAfterSeconds);
}

const IDLE_BUCKETS_BATCH = 1_000;

/**
 * Buckets untouched for a day are full again by any limit we set: dropping them changes nothing.
 * A batch at a time (addresses that tried once each can be many), claimed with SKIP LOCKED so that
 * any number of workers can run it.
 */
export async function dropIdleBuckets(db: Db, now = new Date(), batchSize = IDLE_BUCKETS_BATCH): Promise<number> {
  const cutoff = new Date(now.getTime() - 24 * 60 * 60 * 1000).toISOString();
  const rows = await queryRows<{ bucket: string }>(
    db,
    sql`delete from rate_limit_buckets where bucket in (
          select bucket from rate_limit_buckets where refreshed_at < ${cutoff}::timestamptz
          limit ${batchSize} for update skip locked
        ) returning bucket`,
  );
  return rows.length;
}

/** Drops idle buckets every `intervalMs`, batch after batch; returns a stop function (see lib/jobs/periodic.ts). */
export function startIdleBucketSweep(getDb: () => Promise<Db>, intervalMs: number): () => Promise<void> {
  return startPeriodicJob("Idle rate limit buckets", intervalMs, async () => ({
    moreWaiting: (await dropIdleBuckets(await getDb())) === IDLE_BUCKETS_BATCH,
  }));
}
