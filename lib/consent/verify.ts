import { and, asc, eq, sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { consentEvents, customers, purposes, type ConsentChannel } from "@/db/schema";
import { assertRole, assertTenantAccess, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { eventHash } from "./hashing";

export type LedgerVerification = { ok: true; events: number; customers: number } | { ok: false; events: number; customers: number; brokenEventId: string };

type ChainLink = { customerId: string; chainSeq: number; hash: string };

/** Rows read at a time: a tenant's ledger can hold millions of events, never all in memory at once. */
export const VERIFY_PAGE_SIZE = 5_000;

/**
 * Recomputes every hash of the tenant's ledger, customer by customer in chain order, reading it a page
 * at a time (keyset on customer and chain position, the order of the chain's unique index). An event
 * changed or removed behind the application's back (with the trigger disabled) breaks its own hash or
 * the link of the next event; events cut off the end of a chain leave a current state naming an
 * event that is gone. `events` and `customers` count the tenant's whole ledger.
 */
export async function verifyLedger(
  db: Db,
  tenantId: string,
  { pageSize = VERIFY_PAGE_SIZE, chainsOnly = false }: { pageSize?: number; /** Skip the current-state cross-check (the projection rebuild repairs the state itself). */ chainsOnly?: boolean } = {},
): Promise<LedgerVerification> {
  let previous: ChainLink | null = null;
  let events = 0;
  let customerCount = 0;
  for (;;) {
    const page = await db
      .select()
      .from(consentEvents)
      .where(
        and(
          eq(consentEvents.tenantId, tenantId),
          previous ? sql`(${consentEvents.customerId}, ${consentEvents.chainSeq}) > (${previous.customerId}::uuid, ${previous.chainSeq}::integer)` : undefined,
        ),
      )
      .orderBy(asc(consentEvents.customerId), asc(consentEvents.chainSeq))
      .limit(pageSize);
    for (const event of page) {
      const first: boolean = previous?.customerId !== event.customerId;
      const expectedPrev: string | null = first ? null : previous!.hash;
      const expectedSeq: number = first ? 1 : previous!.chainSeq + 1;
      if (event.prevHash !== expectedPrev || event.chainSeq !== expectedSeq || eventHash(event) !== event.hash) {
        return { ok: false, ...(await ledgerSize(db, tenantId)), brokenEventId: event.id };
      }
      events += 1;
      if (first) customerCount += 1;
      previous = { customerId: event.customerId, chainSeq: event.chainSeq, hash: event.hash };
    }
    if (page.length < pageSize) {
      const missing = chainsOnly ? null : await currentStateWithoutItsEvent(db, tenantId);
      return missing ? { ok: false, events, customers: customerCount, brokenEventId: missing } : { ok: true, events, customers: customerCount };
    }
  }
}

/**
 * The hash chain cannot show that its newest events were cut off: what is left still links up. The
 * current state can: each row names the event that set it, so a state whose event is gone (or is not
 * for that customer, purpose and channel) reveals a truncated ledger. Returns that event's id.
 */
async function currentStateWithoutItsEvent(db: Db, tenantId: string): Promise<string | null> {
  const [row] = await queryRows<{ event_id: string }>(
    db,
    sql`select s.event_id from consent_state s
        where s.tenant_id = ${tenantId}
          and not exists (
            select 1 from consent_events e
            where e.tenant_id = s.tenant_id and e.id = s.event_id
              and e.customer_id = s.customer_id and e.purpose_id = s.purpose_id and e.channel = s.channel
          )
        limit 1`,
  );
  return row?.event_id ?? null;
}

async function ledgerSize(db: Db, tenantId: string): Promise<{ events: number; customers: number }> {
  const [size] = await db
    .select({ events: sql<number>`count(*)::integer`, customers: sql<number>`count(distinct ${consentEvents.customerId})::integer` })
    .from(consentEvents)
    .where(eq(consentEvents.tenantId, tenantId));
  return { events: Number(size?.events ?? 0), customers: Number(size?.customers ?? 0) };
}

export type BrokenEvent = { id: string; customerId: string; customerRef: string | null; purpose: string | null; channel: ConsentChannel; occurredAt: Date };

export type LedgerCheck = LedgerVerification & { tenantId: string; checkedAt: Date; broken: BrokenEvent | null };

/**
 * A supervisor's (or admin's) "Verify ledger" for a tenant they work for. Every run is audited
 * (`consent.ledger_verified`); a broken chain is recorded as a failure, a security event to follow up.
 */
export async function verifyTenantLedger(db: Db, actor: Actor, input: { tenantId: string }, now = new Date()): Promise<LedgerCheck> {
  assertRole(actor, "supervisor", "admin");
  assertTenantAccess(actor, input.tenantId);
  const { tenantId } = input;
  const result = await verifyLedger(db, tenantId);
  let broken: BrokenEvent | null = null;
  if (!result.ok) {
    const [row] = await db
      .select({
        id: consentEvents.id,
        customerId: consentEvents.customerId,
        customerRef: customers.ref,
        purpose: purposes.key,
        channel: consentEvents.channel,
        occurredAt: consentEvents.occurredAt,
      })
      .from(consentEvents)
      .leftJoin(customers, and(eq(customers.tenantId, consentEvents.tenantId), eq(customers.id, consentEvents.customerId)))
      .leftJoin(purposes, and(eq(purposes.tenantId, consentEvents.tenantId), eq(purposes.id, consentEvents.purposeId)))
      .where(and(eq(consentEvents.tenantId, tenantId), eq(consentEvents.id, result.brokenEventId)));
    broken = row ?? null;
  }
  await recordAudit(db, actor, {
    tenantId,
    action: "consent.ledger_verified",
    entityType: "consent_ledger",
    entityId: result.ok ? null : result.brokenEventId,
    customerId: broken?.customerId ?? null,
    after: { ok: result.ok, events: result.events, customers: result.customers, ...(result.ok ? {} : { brokenEventId: result.brokenEventId }) },
    reason: result.ok ? null : "hash chain broken: an event was changed or removed outside the application",
    outcome: result.ok ? "success" : "failure",
  });
  return { ...result, tenantId, checkedAt: now, broken };
}
