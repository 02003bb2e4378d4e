import type { Db } from "@/db/client";
import type { AuthenticatedApiKey } from "@/lib/api-keys/api-keys";
import { spendLeased } from "@/lib/rate-limit/leases";
import { RateLimitedError } from "@/lib/rate-limit/limiter";
import { API_BATCH_CHECKS_PER_REQUEST, bucketFor } from "@/lib/rate-limit/limits";

type Key = Pick<AuthenticatedApiKey, "id" | "rateLimit">;

async function spend(db: Db, key: Key, cost: number, now: Date): Promise<void> {
  const { allowed, retryAfterSeconds } = await spendLeased(db, bucketFor.apiKey(key.id), key.rateLimit, cost, now);
  if (allowed) return;
  const { perSecond, burst } = key.rateLimit;
  throw new RateLimitedError(
    retryAfterSeconds,
    `This API key may make ${perSecond.toLocaleString("en")} requests a second, ` +
      `in bursts of up to ${burst.toLocaleString("en")}; ` +
      `a batch check counts as one request per ${API_BATCH_CHECKS_PER_REQUEST} checks. ` +
      `Try again in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? "" : "s"}.`,
  );
}

/**
 * Every request pays one token of its key's limit as soon as the key is known, before its body is
 * read: a client over its limit is refused for next to nothing. Throws RateLimitedError (429).
 */
export const admitApiRequest = (db: Db, key: Key, now = new Date()) => spend(db, key, 1, now);

/**
 * A request whose cost depends on its body (a batch check) pays the rest of it once the body is
 * read. The whole cost is capped at the burst, as the limiter takes it, so that a key with a small
 * burst is slowed by a large batch rather than refused for ever.
 */
export const chargeApiRequest = (db: Db, key: Key, cost: number, now = new Date()) =>
  spend(db, key, Math.min(cost, key.rateLimit.burst) - 1, now);
