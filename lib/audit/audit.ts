import { and, desc, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { auditEvents, type AuditEvent } from "@/db/schema";
import { actorId, actorIp, actorLabel, assertRole, assertTenantAccess, type Actor } from "@/lib/actor";
import { maskLastDigits } from "@/lib/payments/last-digits";

export type AuditEntry = {
  tenantId: string | null;
  action: string;
  entityType: string;
  entityId?: string | null;
  customerId?: string | null;
  interactionId?: string | null;
  /** Already masked: the audit never holds personal data in clear. */
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  reason?: string | null;
  outcome?: "success" | "failure";
};

/** Writes one audit event. Call it with the transaction that makes the change it records. */
export async function recordAudit(tx: Db, actor: Actor, entry: AuditEntry): Promise<void> {
  await tx.insert(auditEvents).values({
    tenantId: entry.tenantId,
    actorType: actor.type,
    actorId: actorId(actor),
    actorLabel: actorLabel(actor),
    customerId: entry.customerId ?? null,
    interactionId: entry.interactionId ?? null,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId ?? null,
    before: entry.before ?? null,
    after: entry.after ?? null,
    reason: entry.reason ?? null,
    outcome: entry.outcome ?? "success",
    ip: actorIp(actor),
  });
}

/**
 * The customer's audit trail, newest first: for supervisors and admins only. Payment methods' last 4
 * digits are masked in it: they are a verification factor, and supervisors take calls too.
 */
export async function customerAuditTrail(
  db: Db,
  actor: Actor,
  tenantId: string,
  customerId: string,
  limit = 100,
): Promise<AuditEvent[]> {
  assertRole(actor, "supervisor", "admin");
  assertTenantAccess(actor, tenantId);
  const events = await db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.tenantId, tenantId), eq(auditEvents.customerId, customerId)))
    .orderBy(desc(auditEvents.at))
    .limit(limit);
  return events.map((e) => ({ ...e, before: maskLastDigits(e.before), after: maskLastDigits(e.after) }));
}
