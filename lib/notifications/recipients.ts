import { and, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { customers, tenants } from "@/db/schema";

export type ContactRoute = { channel: "email" | "sms"; to: string };

/** Where a message to the customer goes: the email on file, else the phone on file by SMS; null when neither. */
export function contactOnFile(customer: { email: string | null; phone: string | null }): ContactRoute | null {
  if (customer.email) return { channel: "email", to: customer.email };
  if (customer.phone) return { channel: "sms", to: customer.phone };
  return null;
}

/** The customer's contact route and their tenant's name, for a message about something done for them. */
export async function customerContact(tx: Db, tenantId: string, customerId: string): Promise<{ route: ContactRoute | null; tenantName: string } | null> {
  const [row] = await tx
    .select({ email: customers.email, phone: customers.phone, tenantName: tenants.name })
    .from(customers)
    .innerJoin(tenants, eq(tenants.id, customers.tenantId))
    .where(and(eq(customers.tenantId, tenantId), eq(customers.id, customerId)));
  return row ? { route: contactOnFile(row), tenantName: row.tenantName } : null;
}
