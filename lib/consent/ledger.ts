import { randomUUID } from "node:crypto";
import { and, desc, eq, lte } from "drizzle-orm";
import type { Db } from "@/db/client";
import {
  consentEvents,
  consentEvidence,
  consentState,
  customers,
  tenants,
  type ConsentAction,
  type ConsentChannel,
  type ConsentEvent,
  type ConsentStatus,
  type Purpose,
} from "@/db/schema";
import { actorId, type Actor } from "@/lib/actor";
import { ConflictError, NotFoundError } from "@/lib/errors";
import { emitWebhook } from "@/lib/webhooks/webhooks";
import { contactPointHash, eventHash, evidenceHash } from "./hashing";

/** The state an action leaves a customer × purpose × channel in. */
export const STATUS_AFTER: Record<ConsentAction, ConsentStatus> = {
  grant: "granted",
  renew: "granted",
  confirm: "granted",
  refuse: "refused",
  withdraw: "withdrawn",
  expire: "expired",
  invalidate: "invalidated",
  request_confirmation: "pending_confirmation",
  object: "objected",
};

export type NewConsentEvent = {
  tenantId: string;
  customerId: string;
  purpose: Purpose;
  channel: ConsentChannel;
  action: ConsentAction;
  method: ConsentEvent["method"];
  noticeId?: string | null;
  language?: string | null;
  interactionId?: string | null;
  recordingRef?: string | null;
  evidence?: Record<string, unknown> | null;
  occurredAt: Date;
  idempotencyKey?: string | null;
  /** The contact point the choice was made for, when not the one on file now (normalised). */
  contactPoint?: string | null;
};

/** The contact point a channel reaches: consent for SMS is for this number, not the next one. */
export function contactPointFor(customer: { email: string | null; phone: string | null }, channel: ConsentChannel): string | null {
  if (channel === "email") return customer.email;
  if (channel === "sms" || channel === "phone") return customer.phone;
  return null;
}

/**
 * Appends one event to the customer's chain and updates the current state, in the caller's
 * transaction. The customer row is locked first, so two events for one customer are chained one after
 * the other and never fork; events for other customers do not wait.
 */
export async function appendConsentEvent(tx: Db, actor: Actor, input: NewConsentEvent, now = new Date()): Promise<ConsentEvent> {
  const [customer] = await tx
    .select({ ref: customers.ref, email: customers.email, phone: customers.phone, status: customers.status })
    .from(customers)
    .where(and(eq(customers.tenantId, input.tenantId), eq(customers.id, input.customerId)))
    .for("update");
  if (!customer) throw new NotFoundError("No such customer");
  if (customer.status === "erased") throw new ConflictError("This customer was erased; no consent can be recorded.");
  const [tenant] = await tx.select({ rulePacks: tenants.rulePacks }).from(tenants).where(eq(tenants.id, input.tenantId));
  const [last] = await tx
    .select({ chainSeq: consentEvents.chainSeq, hash: consentEvents.hash })
    .from(consentEvents)
    .where(and(eq(consentEvents.tenantId, input.tenantId), eq(consentEvents.customerId, input.customerId)))
    .orderBy(desc(consentEvents.chainSeq))
    .limit(1);

  const contactPoint = input.contactPoint ?? contactPointFor(customer, input.channel);
  const granted = STATUS_AFTER[input.action] === "granted";
  const event = {
    tenantId: input.tenantId,
    id: randomUUID(),
    customerId: input.customerId,
    chainSeq: (last?.chainSeq ?? 0) + 1,
    purposeId: input.purpose.id,
    channel: input.channel,
    contactPointHash: contactPoint ? contactPointHash(input.tenantId, contactPoint) : null,
    action: input.action,
    method: input.method,
    noticeId: input.noticeId ?? null,
    language: input.language ?? null,
    capturedByType: actor.type,
    capturedById: actorId(actor),
    interactionId: input.interactionId ?? null,
    recordingRef: input.recordingRef ?? null,
    evidenceHash: input.evidence ? evidenceHash(input.evidence) : null,
    jurisdiction: tenant!.rulePacks,
    occurredAt: input.occurredAt,
    recordedAt: now,
    validUntil: granted && input.purpose.validForDays ? new Date(input.occurredAt.getTime() + input.purpose.validForDays * 86_400_000) : null,
    idempotencyKey: input.idempotencyKey ?? null,
    prevHash: last?.hash ?? null,
  };
  const [stored] = await tx
    .insert(consentEvents)
    .values({ ...event, hash: eventHash(event) })
    .returning();
  if (input.evidence) await tx.insert(consentEvidence).values({ tenantId: input.tenantId, eventId: event.id, evidence: input.evidence });

  // The projection follows the latest event by when it happened: a back-dated import does not
  // overturn a newer choice.
  const state = {
    tenantId: input.tenantId,
    customerId: input.customerId,
    purposeId: input.purpose.id,
    channel: input.channel,
    status: STATUS_AFTER[input.action],
    eventId: event.id,
    since: input.occurredAt,
    validUntil: event.validUntil,
    contactPointHash: event.contactPointHash,
  };
  await tx
    .insert(consentState)
    .values(state)
    .onConflictDoUpdate({
      target: [consentState.tenantId, consentState.customerId, consentState.purposeId, consentState.channel],
      set: { status: state.status, eventId: state.eventId, since: state.since, validUntil: state.validUntil, contactPointHash: state.contactPointHash },
      setWhere: lte(consentState.since, state.since),
    });
  await emitWebhook(tx, input.tenantId, "consent.changed", {
    customer: customer.ref,
    purpose: input.purpose.key,
    channel: input.channel,
    action: input.action,
    status: state.status,
    eventId: event.id,
    occurredAt: input.occurredAt.toISOString(),
    validUntil: event.validUntil?.toISOString() ?? null,
  }, now);
  return stored!;
}
