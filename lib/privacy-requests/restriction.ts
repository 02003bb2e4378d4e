import { and, desc, eq, inArray, ne, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { auditEvents, customers, tenants, type Customer, type PrivacyRequest } from "@/db/schema";
import { assertRole, assertTenantAccess, tenantScope, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { ConflictError, NotFoundError } from "@/lib/errors";
import { enqueueMessage } from "@/lib/notifications/outbox";
import { contactOnFile } from "@/lib/notifications/recipients";
import { refuseCardData } from "@/lib/payments/card-numbers";
import { emitWebhook } from "@/lib/webhooks/webhooks";
import { restrictionLiftedNotice } from "./messages";

/** How the audit names the request that placed a restriction (a reference, never the customer's words). */
const placedBy = (request: Pick<PrivacyRequest, "id">) => `privacy request ${request.id}`;

/**
 * Restriction of processing (GDPR Art. 18, RULES.md B10): the data is only stored. The consent check
 * answers `restricted` for every purpose, and agents may make no change but the accuracy fix (see
 * BLOCKED_WHILE_RESTRICTED in lib/identity/policy.ts).
 */
export async function applyRestriction(tx: Db, actor: Actor, request: PrivacyRequest, now = new Date()): Promise<void> {
  const [customer] = await tx
    .update(customers)
    .set({ restricted: true, version: sql`${customers.version} + 1`, updatedAt: now })
    .where(and(eq(customers.tenantId, request.tenantId), eq(customers.id, request.customerId), eq(customers.restricted, false)))
    .returning();
  if (!customer) return; // already restricted
  await recordAudit(tx, actor, {
    tenantId: request.tenantId,
    action: "customer.restricted",
    entityType: "customer",
    entityId: customer.id,
    customerId: customer.id,
    interactionId: request.interactionId,
    before: { restricted: false },
    after: { restricted: true },
    reason: placedBy(request),
  });
  await emitWebhook(tx, request.tenantId, "customer.updated", { customer: customer.ref, version: customer.version, changed: ["restricted"] }, now);
}

export const liftRestrictionSchema = z.object({
  customerId: z.uuid("Unknown customer"),
  version: z.coerce.number("Reload the page").int().positive(),
  reason: z.string("Write why the restriction ends").trim().min(10, "Write why the restriction ends (at least 10 characters): the customer is told").max(2000, "At most 2,000 characters").superRefine(refuseCardData),
});

/**
 * Lifts a restriction. B10: the customer is told first, so the notice is queued in the same
 * transaction, and a customer we cannot reach keeps the restriction. The reason is the supervisor's
 * own words: it goes to the customer in the notice (which erasure clears), never into the audit.
 */
export async function liftRestriction(db: Db, actor: Actor, input: z.output<typeof liftRestrictionSchema>, now = new Date()): Promise<Customer> {
  assertRole(actor, "supervisor", "admin");
  return db.transaction(async (tx) => {
    const scope = tenantScope(actor);
    const [customer] = await tx
      .select()
      .from(customers)
      .where(and(eq(customers.id, input.customerId), scope ? inArray(customers.tenantId, scope) : undefined))
      .for("update");
    if (!customer) throw new NotFoundError("No such customer");
    assertTenantAccess(actor, customer.tenantId);
    // The erased record keeps only what the law requires, restricted to that purpose for good (B9(b)).
    if (customer.status === "erased") throw new ConflictError("This customer's data was erased: what is kept stays restricted to its legal purpose, and the restriction cannot be lifted.");
    if (!customer.restricted) throw new ConflictError("Processing is not restricted for this customer.");
    if (customer.version !== input.version) throw new ConflictError("Someone else changed this customer after you opened the page. Reload it and try again.");
    const route = contactOnFile(customer);
    if (!route) throw new ConflictError("The customer must be told before the restriction is lifted, and there is no email or phone on file: the restriction stays.");
    const [tenant] = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, customer.tenantId));
    const notice = restrictionLiftedNotice(tenant!.name, input.reason);
    const messageId = await enqueueMessage(tx, { tenantId: customer.tenantId, channel: route.channel, template: "privacy.restriction_lifted", recipient: route.to, ...notice, customerId: customer.id }, now);
    return endRestriction(tx, actor, customer, { customerTold: route.channel, reason: `reason given to the customer in the lifting notice (message ${messageId})` }, now);
  });
}

/** Clears the flag, audited and announced, in the caller's transaction: the customer has already been told. */
async function endRestriction(tx: Db, actor: Actor, customer: Customer, { customerTold, reason }: { customerTold: string; reason: string }, now: Date): Promise<Customer> {
  const [updated] = await tx
    .update(customers)
    .set({ restricted: false, version: sql`${customers.version} + 1`, updatedAt: now })
    .where(and(eq(customers.tenantId, customer.tenantId), eq(customers.id, customer.id)))
    .returning();
  await recordAudit(tx, actor, {
    tenantId: customer.tenantId,
    action: "customer.restriction_lifted",
    entityType: "customer",
    entityId: customer.id,
    customerId: customer.id,
    before: { restricted: true },
    after: { restricted: false, customerTold },
    reason,
  });
  await emitWebhook(tx, customer.tenantId, "customer.updated", { customer: customer.ref, version: updated!.version, changed: ["restricted"] }, now);
  return updated!;
}

/**
 * A refused restriction request (B5) ends the restriction it placed while it was considered (B10).
 * This finds it: the customer, locked, when they are restricted by this request; null when the
 * restriction was placed by another request, or there is none.
 */
export async function restrictionPlacedBy(tx: Db, request: PrivacyRequest): Promise<Customer | null> {
  if (request.type !== "restriction") return null;
  const [customer] = await tx
    .select()
    .from(customers)
    .where(and(eq(customers.tenantId, request.tenantId), eq(customers.id, request.customerId), eq(customers.restricted, true), ne(customers.status, "erased")))
    .for("update");
  if (!customer) return null;
  // applyRestriction audits only the change from unrestricted, so the latest such event names the request that placed it.
  const [placed] = await tx
    .select({ reason: auditEvents.reason })
    .from(auditEvents)
    .where(and(eq(auditEvents.tenantId, request.tenantId), eq(auditEvents.entityType, "customer"), eq(auditEvents.entityId, customer.id), eq(auditEvents.action, "customer.restricted")))
    .orderBy(desc(auditEvents.at))
    .limit(1);
  return placed?.reason === placedBy(request) ? customer : null;
}

/** Lifts what `restrictionPlacedBy` found, in the caller's transaction, once the refusal telling the customer is queued. */
export async function liftRestrictionOfRefusedRequest(tx: Db, actor: Actor, customer: Customer, request: PrivacyRequest, customerTold: string, now: Date): Promise<Customer> {
  return endRestriction(tx, actor, customer, { customerTold, reason: `privacy request ${request.id} refused; the refusal sent to the customer says the restriction is lifted` }, now);
}
