import { and, desc, eq, lte } from "drizzle-orm";
import type { Db } from "@/db/client";
import { consentEvents, consentState, customers, purposes, type ConsentChannel, type ConsentStatus, type Purpose } from "@/db/schema";
import { ValidationError } from "@/lib/errors";
import { contactPointHash } from "./hashing";
import { STATUS_AFTER, contactPointFor } from "./ledger";

export type CheckReason =
  | "granted"
  | "no_record"
  | "unknown_customer"
  | "refused"
  | "withdrawn"
  | "expired"
  | "pending_confirmation"
  | "objected"
  | "restricted"
  | "erased"
  | "invalidated"
  | "contact_point_changed";

export type ConsentCheck = {
  customer: string;
  purpose: string;
  channel: ConsentChannel;
  at: string;
  allowed: boolean;
  reason: CheckReason;
  eventId: string | null;
  since: string | null;
  validUntil: string | null;
  reviewDue: boolean;
};

export async function purposeByKey(db: Db, tenantId: string, key: string): Promise<Purpose> {
  const [purpose] = await db.select().from(purposes).where(and(eq(purposes.tenantId, tenantId), eq(purposes.key, key)));
  if (!purpose) throw ValidationError.field("purpose", `unknown purpose '${key}'`);
  return purpose;
}

type Latest = { status: ConsentStatus; eventId: string; since: Date; validUntil: Date | null; contactPointHash: string | null };

/**
 * May this customer be processed for this purpose on this channel at `at`? Now reads the current
 * state; a past time (an audit) reads the ledger as it stood then. The least permissive answer wins:
 * erased, then restricted, then the consent itself, then a changed contact point.
 */
export async function checkConsent(
  db: Db,
  tenantId: string,
  query: { customer: string; purpose: string; channel: ConsentChannel; at?: Date },
  now = new Date(),
): Promise<ConsentCheck> {
  const at = query.at ?? now;
  const purpose = await purposeByKey(db, tenantId, query.purpose);
  if (!purpose.channels.includes(query.channel)) {
    throw ValidationError.field("channel", `purpose '${purpose.key}' does not use the channel '${query.channel}'`);
  }
  const answer = (reason: CheckReason, latest?: Latest, reviewDue = false): ConsentCheck => ({
    customer: query.customer,
    purpose: query.purpose,
    channel: query.channel,
    at: at.toISOString(),
    allowed: reason === "granted",
    reason,
    eventId: latest?.eventId ?? null,
    since: latest?.since.toISOString() ?? null,
    validUntil: latest?.validUntil?.toISOString() ?? null,
    reviewDue,
  });

  const [customer] = await db
    .select({ id: customers.id, status: customers.status, restricted: customers.restricted, email: customers.email, phone: customers.phone })
    .from(customers)
    .where(and(eq(customers.tenantId, tenantId), eq(customers.ref, query.customer)));
  if (!customer) return answer("unknown_customer");
  if (customer.status === "erased") return answer("erased");
  if (customer.restricted) return answer("restricted");

  const latest = at.getTime() >= now.getTime() ? await currentState(db, tenantId, customer.id, purpose.id, query.channel) : await stateAt(db, tenantId, customer.id, purpose.id, query.channel, at);
  if (!latest) return answer("no_record");
  if (latest.status !== "granted") return answer(latest.status, latest);
  if (latest.validUntil && latest.validUntil <= at) return answer("expired", latest);
  const contactPoint = contactPointFor(customer, query.channel);
  if (latest.contactPointHash && (!contactPoint || contactPointHash(tenantId, contactPoint) !== latest.contactPointHash)) {
    return answer("contact_point_changed", latest);
  }
  const reviewDue = purpose.reviewIntervalDays !== null && at.getTime() - latest.since.getTime() > purpose.reviewIntervalDays * 86_400_000;
  return answer("granted", latest, reviewDue);
}

async function currentState(db: Db, tenantId: string, customerId: string, purposeId: string, channel: ConsentChannel): Promise<Latest | null> {
  const [state] = await db
    .select()
    .from(consentState)
    .where(and(eq(consentState.tenantId, tenantId), eq(consentState.customerId, customerId), eq(consentState.purposeId, purposeId), eq(consentState.channel, channel)));
  return state ?? null;
}

/** The state as the ledger stood at `at`: the latest event that had happened by then. */
async function stateAt(db: Db, tenantId: string, customerId: string, purposeId: string, channel: ConsentChannel, at: Date): Promise<Latest | null> {
  const [event] = await db
    .select()
    .from(consentEvents)
    .where(
      and(
        eq(consentEvents.tenantId, tenantId),
        eq(consentEvents.customerId, customerId),
        eq(consentEvents.purposeId, purposeId),
        eq(consentEvents.channel, channel),
        lte(consentEvents.occurredAt, at),
      ),
    )
    .orderBy(desc(consentEvents.occurredAt), desc(consentEvents.chainSeq))
    .limit(1);
  if (!event) return null;
  return { status: STATUS_AFTER[event.action], eventId: event.id, since: event.occurredAt, validUntil: event.validUntil, contactPointHash: event.contactPointHash };
}
