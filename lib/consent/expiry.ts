import { and, asc, eq, lte, ne, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { consentEvents, consentState, customers, purposes } from "@/db/schema";
import { systemActor } from "@/lib/actor";
import { startPeriodicJob } from "@/lib/jobs/periodic";
import { appendConsentEvent } from "./ledger";

const DEFAULT_BATCH_SIZE = 200;

/**
 * Writes the `expire` event of every grant whose validity has ended by `now`, up to `batchSize` of
 * them, in one transaction. Checks already answer `expired` from the moment a grant lapses (they
 * compare valid_until with the time asked about); the sweep puts the lapse on the record, so that
 * the ledger, the history and receipts show it and the current state stops saying `granted`.
 *
 * The claim locks the state rows and their customers with SKIP LOCKED, so any number of replicas and
 * workers can sweep side by side without waiting for each other or expiring a grant twice. Customers
 * are locked in the claim, not after it, because recording a consent locks the customer first and
 * then the state row: taking both at once, skipping what is busy, never waits in the opposite order.
 * Returns how many grants were expired.
 */
export async function sweepExpiredConsents(db: Db, now = new Date(), batchSize = DEFAULT_BATCH_SIZE): Promise<number> {
  const sweeper = systemActor("expiry sweep");
  return db.transaction(async (tx) => {
    const due = await tx
      .select({ state: consentState, purpose: purposes, method: consentEvents.method })
      .from(consentState)
      .innerJoin(customers, and(eq(customers.tenantId, consentState.tenantId), eq(customers.id, consentState.customerId)))
      .innerJoin(purposes, and(eq(purposes.tenantId, consentState.tenantId), eq(purposes.id, consentState.purposeId)))
      .innerJoin(consentEvents, and(eq(consentEvents.tenantId, consentState.tenantId), eq(consentEvents.id, consentState.eventId)))
      // The status as a literal, so that the partial index consent_state_expiry_idx matches in every plan.
      .where(and(sql`${consentState.status} = 'granted'`, lte(consentState.validUntil, now), ne(customers.status, "erased")))
      .orderBy(asc(consentState.validUntil))
      .limit(batchSize)
      .for("update", { of: [consentState, customers], skipLocked: true });

    for (const { state, purpose, method } of due) {
      await appendConsentEvent(
        tx,
        sweeper,
        {
          tenantId: state.tenantId,
          customerId: state.customerId,
          purpose,
          channel: state.channel,
          action: "expire",
          // The grant lapsed when its validity ended, not when the sweep happened to notice.
          occurredAt: state.validUntil!,
          method,
        },
        now,
      );
    }
    return due.length;
  });
}

/**
 * Sweeps every `intervalMs`, batch after batch until nothing is due; a run still going when the next
 * tick comes is not doubled up. Returns a stop function that waits for the run under way.
 */
export function startExpirySweep(getDb: () => Promise<Db>, intervalMs: number, batchSize = DEFAULT_BATCH_SIZE): () => Promise<void> {
  return startPeriodicJob("Expiry sweep", intervalMs, async () => ({ moreWaiting: (await sweepExpiredConsents(await getDb(), new Date(), batchSize)) === batchSize }));
}
