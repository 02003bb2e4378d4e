/**
 * Next.js calls register() once when a server starts. The Node.js server delivers the outbox itself,
 * as soon as a message is queued (and every OUTBOX_POLL_MS for retries), and every minute sweeps
 * lapsed consents, applies due subscription changes, drops access packages whose download link has
 * expired and drops idle rate-limit buckets (OUTBOX_POLL_MS=0 turns them all off, for deployments that
 * run `npm run worker` instead).
 */
/** Checks compute expiry themselves; the sweep only puts lapses on the record, so a minute is plenty. */
const EXPIRY_SWEEP_MS = 60_000;

export async function register() {
  // NEXT_RUNTIME is set by Next.js for the runtime it is loading this file in; checking it here, the
  // documented way, is the one read of process.env outside lib/env.ts. The imports stay inside the
  // check so that the edge bundle does not pull in the database drivers and node:crypto.
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { env } = await import("@/lib/env");
    if (env.OUTBOX_POLL_MS === 0) return;
    const [{ getConnection, getDb }, { startOutboxWorker }, { startExpirySweep }, { startSubscriptionRenewals }, { startPackageExpiry }, { startIdleBucketSweep }] = await Promise.all([
      import("@/db/client"),
      import("@/lib/notifications/worker"),
      import("@/lib/consent/expiry"),
      import("@/lib/subscriptions/subscriptions"),
      import("@/lib/privacy-requests/access-package"),
      import("@/lib/rate-limit/limiter"),
    ]);
    startOutboxWorker(getConnection, env.OUTBOX_POLL_MS);
    startExpirySweep(getDb, EXPIRY_SWEEP_MS);
    // Pending plan and cycle changes and scheduled cancellations take effect on the minute as well.
    startSubscriptionRenewals(getDb, EXPIRY_SWEEP_MS);
    // A released access package is personal data: it is dropped once its link can no longer be used.
    startPackageExpiry(getDb, EXPIRY_SWEEP_MS);
    startIdleBucketSweep(getDb, EXPIRY_SWEEP_MS);
  }
}
