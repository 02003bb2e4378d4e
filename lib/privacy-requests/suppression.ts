import { and, eq, inArray, or } from "drizzle-orm";
import type { Db } from "@/db/client";
import { suppressionEntries } from "@/db/schema";
import { contactPointHash } from "@/lib/consent/hashing";

/**
 * The suppression list (RULES.md B9(c), B13): what survives an erasure so that the customer is never
 * marketed to or imported again. Each email and phone number is kept only as the keyed hash the
 * consent ledger already uses for contact points (HMAC-SHA256 with a key derived from the app's
 * secret, over the tenant's id and the value, trimmed and lower-cased): the tenant is part of what is
 * hashed, so the same address in two tenants gives two unrelated entries, and nobody holding the
 * table without the key can test guesses against it. Phone numbers are hashed in E.164, the form
 * customers.phone holds, so the caller normalises before asking.
 */

export type ContactValues = { email?: string | null; phone?: string | null };

function hashesOf(tenantId: string, values: ContactValues): { kind: "email" | "phone"; valueHash: string }[] {
  const out: { kind: "email" | "phone"; valueHash: string }[] = [];
  if (values.email?.trim()) out.push({ kind: "email", valueHash: contactPointHash(tenantId, values.email) });
  if (values.phone?.trim()) out.push({ kind: "phone", valueHash: contactPointHash(tenantId, values.phone) });
  return out;
}

/** Whether the email or the phone number given is on the tenant's suppression list. */
export async function isSuppressed(tx: Db, tenantId: string, values: ContactValues): Promise<boolean> {
  const hashes = hashesOf(tenantId, values);
  if (hashes.length === 0) return false;
  const [hit] = await tx
    .select({ id: suppressionEntries.id })
    .from(suppressionEntries)
    .where(
      and(
        eq(suppressionEntries.tenantId, tenantId),
        or(...hashes.map((h) => and(eq(suppressionEntries.kind, h.kind), eq(suppressionEntries.valueHash, h.valueHash)))),
      ),
    )
    .limit(1);
  return Boolean(hit);
}

/**
 * Adds each email and phone number to the list (one entry per value: one already listed stays as it
 * was, with its first reason). Returns how many values the list now covers of those given.
 */
export async function suppressContactPoints(
  tx: Db,
  tenantId: string,
  values: { emails: readonly string[]; phones: readonly string[] },
  entry: { reason: string; requestId: string | null },
  now = new Date(),
): Promise<number> {
  const hashes = [...new Map([...values.emails.map((email) => hashesOf(tenantId, { email })), ...values.phones.map((phone) => hashesOf(tenantId, { phone }))].flat().map((h) => [`${h.kind}:${h.valueHash}`, h])).values()];
  if (hashes.length === 0) return 0;
  await tx
    .insert(suppressionEntries)
    .values(hashes.map((h) => ({ tenantId, kind: h.kind, valueHash: h.valueHash, reason: entry.reason, requestId: entry.requestId, createdAt: now })))
    .onConflictDoNothing({ target: [suppressionEntries.tenantId, suppressionEntries.kind, suppressionEntries.valueHash] });
  const listed = await tx
    .select({ id: suppressionEntries.id })
    .from(suppressionEntries)
    .where(and(eq(suppressionEntries.tenantId, tenantId), inArray(suppressionEntries.valueHash, hashes.map((h) => h.valueHash))));
  return listed.length;
}
