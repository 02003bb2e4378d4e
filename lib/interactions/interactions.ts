import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { callDisposition, customers, interactions, staffUsers, tenants, type Customer, type Interaction } from "@/db/schema";
import { assertRole, assertTenantAccess, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { sendConsentReceipt } from "@/lib/consent/receipts";
import { maskPhone } from "@/lib/customers/masking";
import { getCustomer } from "@/lib/customers/customers";
import { toE164 } from "@/lib/customers/phone";
import { ConflictError, NotFoundError, ValidationError } from "@/lib/errors";
import { closeRecordingPauseAtCallEnd } from "@/lib/payments/recording-pauses";
import { refuseCardDataInCallText } from "@/lib/payments/free-text";
import { changesDuringCall, sendCallConfirmation } from "./wrap-up";

export const startCallSchema = z.object({
  customerId: z.uuid("Unknown customer"),
  callerNumber: z.string().trim().max(40, "Caller number must be at most 40 characters").optional(),
  recordingRef: z.string().trim().max(200, "Recording reference must be at most 200 characters").optional(),
});

export const endCallSchema = z.object({
  interactionId: z.uuid("Unknown call"),
  disposition: z.enum(callDisposition.enumValues, "Choose how the call ended"),
  summary: z.string().trim().min(1, "Write a short summary of the call").max(4000, "Summary must be at most 4,000 characters"),
});

export const DISPOSITION_LABELS: Record<(typeof callDisposition.enumValues)[number], string> = {
  resolved: "Resolved",
  follow_up: "Follow-up needed",
  transferred: "Transferred",
  escalated: "Escalated to supervisor",
  dropped: "Call dropped",
  wrong_caller: "Wrong caller / not the customer",
};

/**
 * Opens a call with a customer. An agent has at most one open call per customer, so a second click
 * (or a second tab) returns the call already open instead of creating another.
 */
export async function startCall(db: Db, actor: Actor, input: z.output<typeof startCallSchema>): Promise<Interaction> {
  assertRole(actor, "agent", "supervisor", "admin");
  if (actor.type !== "staff") throw new NotFoundError();
  const customer = await getCustomer(db, actor, input.customerId);
  if (customer.status === "erased") throw new ConflictError("This customer was erased; no call can be logged against them.");
  const [tenant] = await db.select().from(tenants).where(eq(tenants.id, customer.tenantId));
  let callerNumber: string | null = null;
  if (input.callerNumber) {
    callerNumber = toE164(input.callerNumber, tenant!.defaultCountry);
    if (!callerNumber) throw ValidationError.field("callerNumber", "Enter a valid phone number, or leave it empty");
  }
  return db.transaction(async (tx) => {
    // Serialise starts for this customer, so two quick clicks cannot both insert.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`call:${customer.id}:${actor.id}`}))`);
    const open = await openCallWith(tx, actor, customer);
    if (open) return open;
    const [call] = await tx
      .insert(interactions)
      .values({
        tenantId: customer.tenantId,
        customerId: customer.id,
        agentId: actor.id,
        callerNumber,
        recordingRef: input.recordingRef || null,
      })
      .returning();
    await recordAudit(tx, actor, {
      tenantId: customer.tenantId,
      action: "interaction.started",
      entityType: "interaction",
      entityId: call!.id,
      customerId: customer.id,
      interactionId: call!.id,
      after: { callerNumber: maskPhone(callerNumber), recordingRef: call!.recordingRef },
    });
    return call!;
  });
}

/**
 * Closes a call with its disposition and summary. Only the agent who holds the call may end it. The
 * answer lists what was changed in the call, and the customer is sent that list.
 */
export async function endCall(db: Db, actor: Actor, input: z.output<typeof endCallSchema>): Promise<Interaction & { changes: string[] }> {
  assertRole(actor, "agent", "supervisor", "admin");
  if (actor.type !== "staff") throw new NotFoundError();
  // Card data in the summary is refused by the domain, not the schema, so the attempt is logged (F6).
  await refuseCardDataInCallText(db, actor, input.interactionId, "summary", input.summary);
  return db.transaction(async (tx) => {
    const [call] = await tx
      .select()
      .from(interactions)
      .where(eq(interactions.id, input.interactionId))
      .for("update");
    if (!call || !actor.tenantIds.includes(call.tenantId)) throw new NotFoundError("No such call");
    if (call.agentId !== actor.id) throw new ConflictError("This call is held by another agent.");
    if (call.endedAt) throw new ConflictError("This call has already ended.");
    const [ended] = await tx
      .update(interactions)
      .set({ endedAt: new Date(), disposition: input.disposition, summary: input.summary, version: sql`${interactions.version} + 1` })
      .where(and(eq(interactions.tenantId, call.tenantId), eq(interactions.id, call.id)))
      .returning();
    await recordAudit(tx, actor, {
      tenantId: call.tenantId,
      action: "interaction.ended",
      entityType: "interaction",
      entityId: call.id,
      customerId: call.customerId,
      interactionId: call.id,
      after: { disposition: input.disposition, durationSeconds: Math.round((ended!.endedAt!.getTime() - call.startedAt.getTime()) / 1000) },
    });
    await closeRecordingPauseAtCallEnd(tx, actor, call, ended!.endedAt!);
    const changes = await changesDuringCall(tx, call);
    await sendCallConfirmation(tx, call, changes, ended!.endedAt!);
    await sendConsentReceipt(tx, call, ended!.endedAt!);
    return { ...ended!, changes };
  });
}

export type InteractionView = Interaction & { agentName: string };

/** The customer's calls, newest first. */
export async function customerInteractions(db: Db, actor: Actor, customer: Pick<Customer, "tenantId" | "id">): Promise<InteractionView[]> {
  assertTenantAccess(actor, customer.tenantId);
  const { tenantId, id: customerId } = customer;
  const rows = await db
    .select({ interaction: interactions, agentName: staffUsers.name })
    .from(interactions)
    .innerJoin(staffUsers, eq(staffUsers.id, interactions.agentId))
    .where(and(eq(interactions.tenantId, tenantId), eq(interactions.customerId, customerId)))
    .orderBy(desc(interactions.startedAt))
    .limit(50);
  return rows.map((r) => ({ ...r.interaction, agentName: r.agentName }));
}

export type OpenCall = { id: string; customerId: string; customerName: string; customerRef: string; startedAt: Date };

/** The calls this agent has open, so a call left behind in another page can be resumed. */
export async function openCallsOf(db: Db, actor: Actor): Promise<OpenCall[]> {
  if (actor.type !== "staff" || actor.tenantIds.length === 0) return [];
  return db
    .select({
      id: interactions.id,
      customerId: interactions.customerId,
      customerName: customers.name,
      customerRef: customers.ref,
      startedAt: interactions.startedAt,
    })
    .from(interactions)
    .innerJoin(customers, and(eq(customers.tenantId, interactions.tenantId), eq(customers.id, interactions.customerId)))
    .where(and(eq(interactions.agentId, actor.id), isNull(interactions.endedAt), inArray(interactions.tenantId, actor.tenantIds)))
    .orderBy(desc(interactions.startedAt));
}

/** The call this agent has open with this customer, if any. */
export async function openCallWith(db: Db, actor: Actor, customer: Pick<Customer, "tenantId" | "id">): Promise<Interaction | null> {
  if (actor.type !== "staff") return null;
  assertTenantAccess(actor, customer.tenantId);
  const [call] = await db
    .select()
    .from(interactions)
    .where(
      and(
        eq(interactions.tenantId, customer.tenantId),
        eq(interactions.customerId, customer.id),
        eq(interactions.agentId, actor.id),
        isNull(interactions.endedAt),
      ),
    );
  return call ?? null;
}

/**
 * The open call this agent is holding: what every in-call action (verification, reveals, changes)
 * hangs off. Another agent's call, an ended call or another tenant's call are refused.
 */
export async function heldCall(db: Db, actor: Actor, interactionId: string): Promise<Interaction> {
  if (actor.type !== "staff" || !/^[0-9a-f-]{36}$/i.test(interactionId)) throw new NotFoundError("No such call");
  const [call] = await db.select().from(interactions).where(eq(interactions.id, interactionId));
  if (!call || !actor.tenantIds.includes(call.tenantId)) throw new NotFoundError("No such call");
  if (call.agentId !== actor.id) throw new ConflictError("This call is held by another agent.");
  if (call.endedAt) throw new ConflictError("This call has ended; start a new call to act for the customer.");
  return call;
}
