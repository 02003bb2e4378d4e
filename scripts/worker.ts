/**
 * `npm run worker`: delivers the outbox and runs the minute jobs (lapsed consents, due subscription
 * changes, expired access packages, idle rate-limit buckets) in a process of its
 * own, until SIGINT or SIGTERM. It is for
 * PostgreSQL deployments (DATABASE_URL), whose web replicas may then run with OUTBOX_POLL_MS=0; any
 * number of workers and replicas can deliver side by side, as claims use FOR UPDATE SKIP LOCKED.
 *
 * It must never run against the PGlite folder of a running server: PGlite has no lock, and two
 * processes on one folder corrupt it. So it refuses the embedded database; the embedded server
 * delivers in-process already.
 */
import { getConnection } from "@/db/client";
import { env } from "@/lib/env";
import { startExpirySweep } from "@/lib/consent/expiry";
import { startOutboxWorker } from "@/lib/notifications/worker";
import { startPackageExpiry } from "@/lib/privacy-requests/access-package";
import { startIdleBucketSweep } from "@/lib/rate-limit/limiter";
import { startSubscriptionRenewals } from "@/lib/subscriptions/subscriptions";

/** OUTBOX_POLL_MS=0 turns off the web server's in-process worker, typically because this one runs; it does not turn off this one. */
const STANDALONE_POLL_MS = 2000;
const EXPIRY_SWEEP_MS = 60_000;

async function main() {
  if (env.embedded) {
    throw new Error(
      "npm run worker is for PostgreSQL (set DATABASE_URL). With the embedded database the server delivers messages itself, and a second process on its PGlite folder would corrupt it.",
    );
  }
  const connection = await getConnection();
  const pollMs = env.OUTBOX_POLL_MS || STANDALONE_POLL_MS;
  const stopOutbox = startOutboxWorker(async () => connection, pollMs);
  const stopSweep = startExpirySweep(async () => connection.db, EXPIRY_SWEEP_MS);
  const stopRenewals = startSubscriptionRenewals(async () => connection.db, EXPIRY_SWEEP_MS);
  const stopPackages = startPackageExpiry(async () => connection.db, EXPIRY_SWEEP_MS);
  const stopBuckets = startIdleBucketSweep(async () => connection.db, EXPIRY_SWEEP_MS);
  const stop = () => Promise.all([stopOutbox(), stopSweep(), stopRenewals(), stopPackages(), stopBuckets()]);
  console.log(
    `Outbox worker: delivering messages as they are queued, and due retries every ${pollMs} ms; every ${EXPIRY_SWEEP_MS / 1000} s sweeping lapsed consents, applying due subscription changes and dropping expired access packages and idle rate-limit buckets (Ctrl+C to stop).`,
  );

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    // once: a second Ctrl+C gets Node's default and ends the process at once.
    process.once(signal, async () => {
      console.log("Outbox worker: finishing the run under way, then stopping.");
      await stop();
      await connection.close();
      process.exit(0);
    });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
