import { and, count, eq, inArray, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { consentDisputes, consentState, customers, interactions, purposes, staffUsers, tenants, type ConsentDispute } from "@/db/schema";
import { assertRole, systemActor, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { ConflictError, NotFoundError } from "@/lib/errors";
import { refuseCardData } from "@/lib/payments/card-numbers";
import { appendConsentEvent } from "./ledger";
import { verifyLink } from "./links";
import { decisionsOfCall } from "./receipts";

/**
 * "This wasn't me": the link in a consent receipt lets the person who received it report that the
 * choices recorded in a call were not theirs. Every purpose × channel whose current state was set in
 * that call is invalidated at once (a later, unrelated choice is left alone), and the report waits on
 * the supervisors' alerts list until one closes it with a note.
 */

export type DisputeView = {
  tenantName: string;
  callStartedAt: Date;
  decisions: { at: Date; words: string }[];
  alreadyReported: boolean;
};

async function callOf(db: Db, tenantId: string, interactionId: string) {
  const [row] = await db
    .select({ call: interactions, tenantName: tenants.name })
    .from(interactions)
    .innerJoin(tenants, eq(tenants.id, interactions.tenantId))
    .where(and(eq(interactions.tenantId, tenantId), eq(interactions.id, interactionId)));
  if (!row) throw new NotFoundError("This call does not exist.");
  return row;
}

async function disputeOfCall(db: Db, tenantId: string, interactionId: string): Promise<ConsentDispute | null> {
  const [row] = await db.select().from(consentDisputes).where(and(eq(consentDisputes.tenantId, tenantId), eq(consentDisputes.interactionId, interactionId)));
  return row ?? null;
}

/** What a "This wasn't me" link is about, for its page: what was recorded in that call. */
export async function disputeRequest(db: Db, token: string, now = new Date()): Promise<DisputeView> {
  const claims = verifyLink(token, "dispute", now);
  const { call, tenantName } = await callOf(db, claims.tenantId, claims.ids[0]!);
  const decisions = await decisionsOfCall(db, call.tenantId, call.id);
  return {
    tenantName,
    callStartedAt: call.startedAt,
    decisions: decisions.map((d) => ({ at: d.event.occurredAt, words: d.words })),
    alreadyReported: Boolean(await disputeOfCall(db, call.tenantId, call.id)),
  };
}

export type DisputeResult = { status: "reported" | "already_reported"; disputeId: string; invalidated: number; tenantName: string };

/**
 * Reports the call's consent choices as not the customer's: an `invalidate` event for each purpose ×
 * channel still in the state that call set, a dispute for the supervisors, and the audit, in one
 * transaction. A second report of the same call changes nothing.
 */
export async function reportDispute(db: Db, token: string, meta: { ip: string | null; userAgent: string | null }, now = new Date()): Promise<DisputeResult> {
  const claims = verifyLink(token, "dispute", now);
  return db.transaction(async (tx) => {
    const { call, tenantName } = await callOf(tx, claims.tenantId, claims.ids[0]!);
    // Every consent event of a customer takes this lock: the states read below cannot move meanwhile.
    await tx.select({ id: customers.id }).from(customers).where(and(eq(customers.tenantId, call.tenantId), eq(customers.id, call.customerId))).for("update");
    const existing = await disputeOfCall(tx, call.tenantId, call.id);
    if (existing) return { status: "already_reported" as const, disputeId: existing.id, invalidated: 0, tenantName };

    const decisions = await decisionsOfCall(tx, call.tenantId, call.id);
    const ofCall = decisions.map((d) => d.event.id);
    const current = ofCall.length
      ? await tx
          .select({ state: consentState, purpose: purposes })
          .from(consentState)
          .innerJoin(purposes, and(eq(purposes.tenantId, consentState.tenantId), eq(purposes.id, consentState.purposeId)))
          .where(and(eq(consentState.tenantId, call.tenantId), eq(consentState.customerId, call.customerId), inArray(consentState.eventId, ofCall)))
      : [];

    const [dispute] = await tx
      .insert(consentDisputes)
      .values({ tenantId: call.tenantId, customerId: call.customerId, interactionId: call.id, eventIds: current.map((c) => c.state.eventId), reportedAt: now, ip: meta.ip })
      .returning();
    const actor = systemActor("customer dispute link", meta.ip);
    for (const { state, purpose } of current) {
      const invalidated = await appendConsentEvent(
        tx,
        actor,
        {
          tenantId: call.tenantId,
          customerId: call.customerId,
          purpose,
          channel: state.channel,
          action: "invalidate",
          method: "web",
          evidence: { ip: meta.ip, userAgent: meta.userAgent, disputeId: dispute!.id, disputedEventId: state.eventId },
          occurredAt: now,
        },
        now,
      );
      await recordAudit(tx, actor, {
        tenantId: call.tenantId,
        action: "consent.invalidate",
        entityType: "consent_event",
        entityId: invalidated.id,
        customerId: call.customerId,
        after: { purpose: purpose.key, channel: state.channel, method: "web", disputedEventId: state.eventId },
        reason: "The customer reported that the choices recorded in this call were not theirs.",
      });
    }
    await recordAudit(tx, actor, {
      tenantId: call.tenantId,
      action: "consent_dispute.reported",
      entityType: "consent_dispute",
      entityId: dispute!.id,
      customerId: call.customerId,
      after: { interactionId: call.id, invalidated: current.length, decisionsInCall: ofCall.length },
    });
    return { status: "reported" as const, disputeId: dispute!.id, invalidated: current.length, tenantName };
  });
}

export type DisputeAlert = ConsentDispute & { customerName: string; customerRef: string; agentEmail: string | null; callStartedAt: Date | null; decisions: string[] };

/** Open disputes of the supervisor's tenants, oldest first, with what was recorded in the call. */
export async function openConsentDisputes(db: Db, actor: Actor): Promise<DisputeAlert[]> {
  assertRole(actor, "supervisor", "admin");
  if (actor.type !== "staff" || actor.tenantIds.length === 0) return [];
  const rows = await db
    .select({ dispute: consentDisputes, customerName: customers.name, customerRef: customers.ref, agentEmail: staffUsers.email, callStartedAt: interactions.startedAt })
    .from(consentDisputes)
    .innerJoin(customers, and(eq(customers.tenantId, consentDisputes.tenantId), eq(customers.id, consentDisputes.customerId)))
    .leftJoin(interactions, and(eq(interactions.tenantId, consentDisputes.tenantId), eq(interactions.id, consentDisputes.interactionId)))
    .leftJoin(staffUsers, eq(staffUsers.id, interactions.agentId))
    .where(and(inArray(consentDisputes.tenantId, actor.tenantIds), isNull(consentDisputes.closedAt)))
    .orderBy(consentDisputes.reportedAt);
  return Promise.all(
    rows.map(async (r) => ({
      ...r.dispute,
      customerName: r.customerName,
      customerRef: r.customerRef,
      agentEmail: r.agentEmail,
      callStartedAt: r.callStartedAt,
      decisions: r.dispute.interactionId ? (await decisionsOfCall(db, r.dispute.tenantId, r.dispute.interactionId)).map((d) => d.words) : [],
    })),
  );
}

/** How many disputes wait for review in the supervisor's tenants (shown in the navigation). */
export async function openConsentDisputeCount(db: Db, actor: Actor): Promise<number> {
  if (actor.type !== "staff" || actor.role === "agent" || actor.tenantIds.length === 0) return 0;
  const [row] = await db
    .select({ n: count() })
    .from(consentDisputes)
    .where(and(inArray(consentDisputes.tenantId, actor.tenantIds), isNull(consentDisputes.closedAt)));
  return Number(row?.n ?? 0);
}

export const closeDisputeSchema = z.object({
  disputeId: z.uuid("Unknown dispute"),
  note: z.string().trim().min(3, "Write what you found and did").max(2000, "At most 2,000 characters").superRefine(refuseCardData),
});

/** A supervisor closes a dispute with what they found and did; audited. */
export async function closeConsentDispute(db: Db, actor: Actor, input: z.output<typeof closeDisputeSchema>, now = new Date()): Promise<void> {
  assertRole(actor, "supervisor", "admin");
  if (actor.type !== "staff") throw new NotFoundError();
  await db.transaction(async (tx) => {
    const [dispute] = await tx
      .select()
      .from(consentDisputes)
      .where(and(inArray(consentDisputes.tenantId, actor.tenantIds.length ? actor.tenantIds : ["00000000-0000-0000-0000-000000000000"]), eq(consentDisputes.id, input.disputeId)))
      .for("update");
    if (!dispute) throw new NotFoundError("No such dispute");
    if (dispute.closedAt) throw new ConflictError("This dispute is already closed.");
    await tx
      .update(consentDisputes)
      .set({ closedAt: now, closedBy: actor.id, closingNote: input.note })
      .where(and(eq(consentDisputes.tenantId, dispute.tenantId), eq(consentDisputes.id, dispute.id)));
    await recordAudit(tx, actor, {
      tenantId: dispute.tenantId,
      action: "consent_dispute.closed",
      entityType: "consent_dispute",
      entityId: dispute.id,
      customerId: dispute.customerId,
      interactionId: dispute.interactionId,
      reason: input.note,
    });
  });
}
