import { and, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { customers, tenants, type Customer, type PrivacyRequest } from "@/db/schema";
import { assertRole, assertTenantAccess, tenantScope, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { ConflictError, NotFoundError } from "@/lib/errors";
import { enqueueMessage } from "@/lib/notifications/outbox";
import { contactOnFile } from "@/lib/notifications/recipients";
import { refuseCardData } from "@/lib/payments/card-numbers";
import { emitWebhook } from "@/lib/webhooks/webhooks";
import { restrictionLiftedNotice } from "./messages";

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
    reason: `privacy request ${request.id}`,
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
 * transaction, and a customer we cannot reach keeps the restriction.
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
    if (!customer.restricted) throw new ConflictError("Processing is not restricted for this customer.");
    if (customer.version !== input.version) throw new ConflictError("Someone else changed this customer after you opened the page. Reload it and try again.");
    const route = contactOnFile(customer);
    if (!route) throw new ConflictError("The customer must be told before the restriction is lifted, and there is no email or phone on file: the restriction stays.");
    const [tenant] = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, customer.tenantId));
    const notice = restrictionLiftedNotice(tenant!.name, input.reason);
    await enqueueMessage(tx, { tenantId: customer.tenantId, channel: route.channel, template: "privacy.restriction_lifted", recipient: route.to, ...notice, customerId: customer.id }, now);
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
      after: { restricted: false, customerTold: route.channel },
      reason: input.reason,
    });
    await emitWebhook(tx, customer.tenantId, "customer.updated", { customer: customer.ref, version: updated!.version, changed: ["restricted"] }, now);
    return updated!;
  });
}
