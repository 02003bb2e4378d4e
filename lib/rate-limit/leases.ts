import type { Db } from "@/db/client";
import { lease, type RateDecision, type RateLimit } from "./limiter";

/**
 * Tokens leased to this process in chunks, for limits checked on every request of a busy client
 * (an API key): a statement per request would cost the consent check more than the check itself.
 *
 * A process takes a chunk (a tenth of a second of the limit's rate, at least what the request needs)
 * from the bucket in the database and spends it locally for up to LEASE_MS; what is left then lapses.
 * Every token spent was first taken from the shared bucket, so replicas together never exceed the
 * limit by more than what they hold: over any stretch of time a client gets at most
 * `burst + perSecond × seconds + replicas × chunk`, i.e. a tenth of a second of its rate per replica
 * more than the bucket alone would give. The other way, a client spread over several replicas may be
 * refused while other replicas still hold up to a chunk each, which lapses within LEASE_MS.
 *
 * Refusals cost no statement either: the bucket as last read, refilled for the time since, is an
 * upper bound of what it holds now (other replicas only ever take), so a request it cannot cover is
 * refused locally with the time until it could be.
 */
export const LEASE_MS = 1000;
const CHUNK_SECONDS = 0.1;
const HELD_BUCKETS_MAX = 10_000;

type Held = {
  /** Tokens this process took and has not spent, usable until `expiresAt` (ms). */
  tokens: number;
  expiresAt: number;
  /** What the bucket held once this process last took from it, at `seenAt` (ms). */
  bucketTokens: number;
  seenAt: number;
  /** A take from the database under way: other requests of this process wait for it rather than each going. */
  refill?: Promise<void>;
};

const holdings = new WeakMap<Db, Map<string, Held>>();

function heldFor(db: Db, bucket: string, limit: RateLimit, at: number): Held {
  let buckets = holdings.get(db);
  if (!buckets) holdings.set(db, (buckets = new Map()));
  let held = buckets.get(bucket);
  if (!held) {
    if (buckets.size >= HELD_BUCKETS_MAX) buckets.clear(); // forgetting a lease only wastes its tokens
    buckets.set(bucket, (held = { tokens: 0, expiresAt: 0, bucketTokens: limit.burst, seenAt: at }));
  }
  return held;
}

/** Spends `cost` tokens of `bucket` (a cost above the burst as the burst), from this process's lease when it can. */
export async function spendLeased(
  db: Db,
  bucket: string,
  limit: RateLimit,
  cost: number,
  now = new Date(),
): Promise<RateDecision> {
  const need = Math.min(cost, limit.burst);
  if (need <= 0) return { allowed: true, retryAfterSeconds: 0 };
  const at = now.getTime();
  const held = heldFor(db, bucket, limit, at);
  for (;;) {
    if (held.expiresAt <= at) held.tokens = 0;
    if (held.tokens >= need) {
      held.tokens -= need;
      return { allowed: true, retryAfterSeconds: 0 };
    }
    if (held.refill) {
      await held.refill;
      continue;
    }
    const missing = need - held.tokens;
    const refilled = (Math.max(0, at - held.seenAt) / 1000) * limit.perSecond;
    const bucketNow = Math.min(limit.burst, held.bucketTokens + refilled);
    if (bucketNow < missing) {
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((missing - bucketNow) / limit.perSecond)) };
    }
    let refused: RateDecision | undefined;
    held.refill = (async () => {
      const chunk = Math.max(missing, limit.perSecond * CHUNK_SECONDS);
      const grant = await lease(db, bucket, limit, missing, chunk, now);
      held.bucketTokens = grant.available - grant.granted;
      held.seenAt = at;
      if (!grant.allowed) refused = grant;
      else {
        held.tokens = (held.expiresAt > at ? held.tokens : 0) + grant.granted;
        held.expiresAt = at + LEASE_MS;
      }
    })().finally(() => {
      held.refill = undefined;
    });
    await held.refill;
    if (refused) return { allowed: false, retryAfterSeconds: refused.retryAfterSeconds };
  }
}
