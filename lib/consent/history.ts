import { and, asc, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { consentEvents, consentState, customers, purposes } from "@/db/schema";
import { assertTenantAccess, type Actor } from "@/lib/actor";
import { NotFoundError } from "@/lib/errors";

/** A customer's consents as API.md shows them: the current state per purpose and channel, and every event, oldest first. */
export async function customerConsents(db: Db, actor: Actor, tenantId: string, ref: string) {
  assertTenantAccess(actor, tenantId);
  const [customer] = await db.select({ id: customers.id }).from(customers).where(and(eq(customers.tenantId, tenantId), eq(customers.ref, ref)));
  if (!customer) throw new NotFoundError(`No customer with ref '${ref}'.`);
  const [current, history] = await Promise.all([
    db
      .select({ purpose: purposes.key, state: consentState })
      .from(consentState)
      .innerJoin(purposes, and(eq(purposes.tenantId, consentState.tenantId), eq(purposes.id, consentState.purposeId)))
      .where(and(eq(consentState.tenantId, tenantId), eq(consentState.customerId, customer.id)))
      .orderBy(asc(purposes.key), asc(consentState.channel)),
    db
      .select({ purpose: purposes.key, event: consentEvents })
      .from(consentEvents)
      .innerJoin(purposes, and(eq(purposes.tenantId, consentEvents.tenantId), eq(purposes.id, consentEvents.purposeId)))
      .where(and(eq(consentEvents.tenantId, tenantId), eq(consentEvents.customerId, customer.id)))
      .orderBy(asc(consentEvents.chainSeq)),
  ]);
  return {
    customer: ref,
    current: current.map(({ purpose, state }) => ({
      purpose,
      channel: state.channel,
      status: state.status,
      since: state.since.toISOString(),
      validUntil: state.validUntil?.toISOString() ?? null,
      eventId: state.eventId,
    })),
    history: history.map(({ purpose, event }) => ({
      id: event.id,
      purpose,
      channel: event.channel,
      action: event.action,
      method: event.method,
      notice: event.noticeId,
      capturedBy: event.capturedByType,
      interactionId: event.interactionId,
      occurredAt: event.occurredAt.toISOString(),
      recordedAt: event.recordedAt.toISOString(),
      validUntil: event.validUntil?.toISOString() ?? null,
    })),
  };
}
