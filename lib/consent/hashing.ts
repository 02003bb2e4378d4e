import { createHash, createHmac, hkdfSync } from "node:crypto";
import type { ConsentEvent } from "@/db/schema";
import { authSecret } from "@/lib/env";

let contactKey: Buffer | undefined;

/**
 * A contact point as the ledger keeps it: a keyed hash, so that the ledger holds no phone number or
 * email, yet a check can tell whether consent was given for the number the customer has now.
 */
export function contactPointHash(tenantId: string, value: string): string {
  contactKey ??= Buffer.from(hkdfSync("sha256", authSecret(), "attest", "consent contact points", 32));
  return createHmac("sha256", contactKey).update(`${tenantId}:${value.trim().toLowerCase()}`).digest("hex");
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
