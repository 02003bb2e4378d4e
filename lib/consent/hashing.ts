import { createHash } from "node:crypto";
import type { ConsentEvent } from "@/db/schema";
import { hashKeyId, keyedHash, keyedHashesUnderEveryKey } from "@/lib/keys/keyring";

const contactPoint = (tenantId: string, value: string) => `${tenantId}:${value.trim().toLowerCase()}`;

/**
 * A contact point as the ledger keeps it: a keyed hash, so that the ledger holds no phone number or
 * email, yet a check can tell whether consent was given for the number the customer has now. Made
 * with the current key, or the one named (to compare with a stored hash, which names its key).
 */
export function contactPointHash(tenantId: string, value: string, keyId?: string): string {
  return keyedHash("contactPoints", contactPoint(tenantId, value), keyId);
}

/**
 * Whether a stored hash is of this contact point. The ledger is never rewritten, so a hash keeps the
 * key it was made with for good: the value is hashed again with that key.
 */
export function contactPointMatches(tenantId: string, value: string, stored: string): boolean {
  return contactPointHash(tenantId, value, hashKeyId(stored)) === stored;
}

/** The contact point hashed with every key of the ring: what a lookup by hash (the suppression list) asks for. */
export function contactPointHashesUnderEveryKey(tenantId: string, value: string): string[] {
  return keyedHashesUnderEveryKey("contactPoints", contactPoint(tenantId, value));
}

export function evidenceHash(evidence: unknown): string {
  return createHash("sha256").update(JSON.stringify(evidence)).digest("hex");
}

type Chained = Omit<ConsentEvent, "hash" | "recordedAt"> & { recordedAt: Date };

/** The hash of an event: every field that proves what happened, in a fixed order, and the previous hash. */
export function eventHash(e: Chained): string {
  const fields = [
    e.tenantId,
    e.id,
    e.customerId,
    e.chainSeq,
    e.purposeId,
    e.channel,
    e.contactPointHash,
    e.action,
    e.method,
    e.noticeId,
    e.language,
    e.capturedByType,
    e.capturedById,
    e.interactionId,
    e.recordingRef,
    e.evidenceHash,
    e.jurisdiction,
    e.occurredAt.toISOString(),
    e.recordedAt.toISOString(),
    e.validUntil?.toISOString() ?? null,
    e.idempotencyKey,
    e.prevHash,
  ];
  return createHash("sha256").update(JSON.stringify(fields)).digest("hex");
}
