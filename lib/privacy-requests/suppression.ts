import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "@/db/client";
import { suppressionEntries } from "@/db/schema";
import { contactPointHashesUnderEveryKey } from "@/lib/consent/hashing";

/**
 * The suppression list (RULES.md B9(c), B13): what survives an erasure so that the customer is never
 * marketed to or imported again. Each email and phone number is kept only as the keyed hash the
 * consent ledger already uses for contact points (HMAC-SHA256 with a key of the keyring, over the
 * tenant's id and the value, trimmed and lower-cased): the tenant is part of what is hashed, so the
 * same address in two tenants gives two unrelated entries, and nobody holding the table without the
 * key can test guesses against it. The value is gone once listed, so an entry keeps the key it was
 * made with: a value is looked up by its hash under every key of the ring. Phone numbers are hashed
 * in E.164, the form customers.phone holds, so the caller normalises before asking.
 */

export type ContactValues = { email?: string | null; phone?: string | null };

/** Each value given, with its hash under every key of the ring (the current key's first). */
function hashesOf(tenantId: string, values: ContactValues): { kind: "email" | "phone"; hashes: string[] }[] {
  const out: { kind: "email" | "phone"; hashes: string[] }[] = [];
  if (values.email?.trim()) out.push({ kind: "email", hashes: contactPointHashesUnderEveryKey(tenantId, values.email) });
  if (values.phone?.trim()) out.push({ kind: "phone", hashes: contactPointHashesUnderEveryKey(tenantId, values.phone) });
  return out;
}

/** The hashes among those given that the tenant's list holds. */
async function listedHashes(tx: Db, tenantId: string, hashes: string[]): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  const rows = await tx
    .select({ valueHash: suppressionEntries.valueHash })
    .from(suppressionEntries)
    .where(and(eq(suppressionEntries.tenantId, tenantId), inArray(suppressionEntries.valueHash, hashes)));
  return new Set(rows.map((r) => r.valueHash));
}

/** Whether the email or the phone number given is on the tenant's suppression list. */
export async function isSuppressed(tx: Db, tenantId: string, values: ContactValues): Promise<boolean> {
  // Hashes of an email and a phone number never collide, so the kind need not be asked.
  return (await listedHashes(tx, tenantId, hashesOf(tenantId, values).flatMap((v) => v.hashes))).size > 0;
}

/**
 * Adds each email and phone number to the list (one entry per value: one already listed, under any
 * key, stays as it was, with its first reason). Returns how many values the list now covers of those given.
 */
export async function suppressContactPoints(
  tx: Db,
  tenantId: string,
  values: { emails: readonly string[]; phones: readonly string[] },
  entry: { reason: string; requestId: string | null },
  now = new Date(),
): Promise<number> {
  const given = [...values.emails.map((email) => hashesOf(tenantId, { email })), ...values.phones.map((phone) => hashesOf(tenantId, { phone }))].flat();
  const wanted = [...new Map(given.map((v) => [`${v.kind}:${v.hashes[0]}`, v])).values()];
  if (wanted.length === 0) return 0;
  const everyHash = wanted.flatMap((v) => v.hashes);
  const before = await listedHashes(tx, tenantId, everyHash);
  const missing = wanted.filter((v) => !v.hashes.some((h) => before.has(h)));
  if (missing.length) {
    await tx
      .insert(suppressionEntries)
      .values(missing.map((v) => ({ tenantId, kind: v.kind, valueHash: v.hashes[0]!, reason: entry.reason, requestId: entry.requestId, createdAt: now })))
      .onConflictDoNothing({ target: [suppressionEntries.tenantId, suppressionEntries.kind, suppressionEntries.valueHash] });
  }
  const listed = await listedHashes(tx, tenantId, everyHash);
  return wanted.filter((v) => v.hashes.some((h) => listed.has(h))).length;
}
