import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "@/db/client";
import { paymentMethods, type Customer } from "@/db/schema";

/**
 * The last 4 digits of the customer's current cards and bank accounts: a knowledge check of caller
 * verification (lib/identity), compared on the server. The agent sees them only once the caller is
 * strongly verified (the payment panel), so they can prove the caller knows something the agent
 * cannot read off the page. Empty when the customer has no payment method: the check is not offered.
 */
export async function lastDigitsOnFile(db: Db, customer: Pick<Customer, "tenantId" | "id">): Promise<string[]> {
  const rows = await db
    .selectDistinct({ last4: paymentMethods.last4 })
    .from(paymentMethods)
    .where(
      and(
        eq(paymentMethods.tenantId, customer.tenantId),
        eq(paymentMethods.customerId, customer.id),
        isNull(paymentMethods.removedAt),
      ),
    );
  return rows.map((r) => r.last4);
}

/**
 * Audit values (a payment change's `after`: kind, brand, last 4) as the customer's audit trail shows
 * them: with the last 4 digits masked, because they are a verification factor and the supervisors who
 * read the trail also take calls.
 */
export function maskLastDigits(values: unknown): unknown {
  if (Array.isArray(values)) return values.map(maskLastDigits);
  if (!values || typeof values !== "object") return values;
  const masked = Object.entries(values).map(([key, value]) => [key, key === "last4" ? "••••" : maskLastDigits(value)]);
  return Object.fromEntries(masked);
}
