import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "@/db/client";
import { contactPointHistory, type Customer } from "@/db/schema";

export type ContactPointChange = { kind: "email" | "phone"; from: string | null; to: string | null };

/**
 * Keeps the history of a customer's emails and phone numbers: the old one is closed, the new one
 * opened. A customer created before history was kept gets its old value back-filled from creation.
 */
export async function recordContactPointChanges(
  tx: Db,
  customer: Pick<Customer, "tenantId" | "id" | "createdAt">,
  changes: ContactPointChange[],
  interactionId: string | null,
  now = new Date(),
): Promise<void> {
  for (const change of changes) {
    if (change.from === change.to) continue;
    const open = and(
      eq(contactPointHistory.tenantId, customer.tenantId),
      eq(contactPointHistory.customerId, customer.id),
      eq(contactPointHistory.kind, change.kind),
      isNull(contactPointHistory.validTo),
    );
    const closed = await tx.update(contactPointHistory).set({ validTo: now }).where(open).returning({ id: contactPointHistory.id });
    if (closed.length === 0 && change.from) {
      await tx.insert(contactPointHistory).values({ tenantId: customer.tenantId, customerId: customer.id, kind: change.kind, value: change.from, validFrom: customer.createdAt, validTo: now });
    }
    if (change.to) {
      await tx.insert(contactPointHistory).values({ tenantId: customer.tenantId, customerId: customer.id, kind: change.kind, value: change.to, validFrom: now, interactionId });
    }
  }
}
