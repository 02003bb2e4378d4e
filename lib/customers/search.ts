import { and, asc, eq, inArray, or, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { customers, tenants, type PostalAddress } from "@/db/schema";
import { tenantScope, type Actor } from "@/lib/actor";
import { maskAddress, maskEmail, maskPhone } from "./masking";
import { foldName } from "./names";
import { looksLikePhone, toE164 } from "./phone";

export type CustomerSearchHit = {
  id: string;
  ref: string;
  name: string;
  status: string;
  tenant: { key: string; name: string };
  /** Masked: search results are shown before the caller is verified. */
  email: string | null;
  phone: string | null;
  town: string | null;
};

export const customerSearchSchema = z.object({ q: z.string().max(200, "Search at most 200 characters") });

export type SearchKind = "email" | "phone" | "name_or_ref";

export function searchKind(query: string): SearchKind {
  if (query.includes("@")) return "email";
  if (looksLikePhone(query)) return "phone";
  return "name_or_ref";
}

const MIN_NAME_FRAGMENT = 3;

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Finds customers of the actor's tenants by account reference (exact or leading part), name (any
 * part, ignoring case and accents), phone in any common format, or email.
 */
export async function searchCustomers(db: Db, actor: Actor, rawQuery: string, limit = 25): Promise<CustomerSearchHit[]> {
  const query = rawQuery.trim().slice(0, 200);
  const scope = tenantScope(actor);
  if (!query || scope?.length === 0) return [];

  const tenantRows = await db
    .select({ id: tenants.id, defaultCountry: tenants.defaultCountry })
    .from(tenants)
    .where(scope ? inArray(tenants.id, scope) : undefined);
  const tenantIds = tenantRows.map((t) => t.id);
  if (tenantIds.length === 0) return [];

  let match: SQL | undefined;
  const kind = searchKind(query);
  const byRef = sql`lower(${customers.ref}) like ${`${escapeLike(query.toLowerCase())}%`}`;
  if (kind === "email") {
    match = eq(customers.email, query.toLowerCase());
  } else if (kind === "phone") {
    // Each tenant reads a national number in its own country: `07911 123456` is British for acme.
    const byTenant = tenantRows
      .map((t) => ({ tenantId: t.id, phone: toE164(query, t.defaultCountry) }))
      .filter((c): c is { tenantId: string; phone: string } => c.phone !== null);
    // Account references are often all digits (`10002345`), so a number is a reference as well.
    match = or(byRef, ...byTenant.map((c) => and(eq(customers.tenantId, c.tenantId), eq(customers.phone, c.phone))));
  } else {
    const words = foldName(query).split(" ").filter(Boolean);
    const byName = and(...words.map((w) => sql`${customers.nameSearch} like ${`%${escapeLike(w)}%`}`));
    // Fragments all under three letters have no trigram for the index and match most of the table:
    // such a query searches references only.
    match = words.some((w) => w.length >= MIN_NAME_FRAGMENT) ? or(byRef, byName) : byRef;
  }

  const rows = await db
    .select({
      id: customers.id,
      ref: customers.ref,
      name: customers.name,
      status: customers.status,
      email: customers.email,
      phone: customers.phone,
      address: customers.address,
      tenantKey: tenants.key,
      tenantName: tenants.name,
    })
    .from(customers)
    .innerJoin(tenants, eq(tenants.id, customers.tenantId))
    .where(and(inArray(customers.tenantId, tenantIds), match))
    .orderBy(asc(customers.name), asc(customers.ref))
    .limit(limit);

  return rows.map((r) => ({
    id: r.id,
    ref: r.ref,
    name: r.status === "erased" ? "Erased customer" : r.name,
    status: r.status,
    tenant: { key: r.tenantKey, name: r.tenantName },
    email: maskEmail(r.email),
    phone: maskPhone(r.phone),
    town: maskAddress(r.address as PostalAddress | null),
  }));
}
