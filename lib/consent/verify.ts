import { asc, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { consentEvents } from "@/db/schema";
import { eventHash } from "./hashing";

export type LedgerVerification = { ok: true; events: number; customers: number } | { ok: false; events: number; customers: number; brokenEventId: string };

/**
 * Recomputes every hash of the tenant's ledger, customer by customer in chain order. An event changed
 * or removed behind the application's back (with the trigger disabled) breaks its own hash or the
 * link of the next event.
 */
export async function verifyLedger(db: Db, tenantId: string): Promise<LedgerVerification> {
  const events = await db
    .select()
    .from(consentEvents)
    .where(eq(consentEvents.tenantId, tenantId))
    .orderBy(asc(consentEvents.customerId), asc(consentEvents.chainSeq));
  let previous: { customerId: string; chainSeq: number; hash: string } | null = null;
  const customers = new Set<string>();
  for (const event of events) {
    customers.add(event.customerId);
    const first = previous?.customerId !== event.customerId;
    const expectedPrev = first ? null : previous!.hash;
    const expectedSeq = first ? 1 : previous!.chainSeq + 1;
    if (event.prevHash !== expectedPrev || event.chainSeq !== expectedSeq || eventHash(event) !== event.hash) {
      return { ok: false, events: events.length, customers: customers.size, brokenEventId: event.id };
    }
    previous = event;
  }
  return { ok: true, events: events.length, customers: customers.size };
}
