import { createHash } from "node:crypto";
import { and, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { idempotencyKeys } from "@/db/schema";
import { ConflictError } from "@/lib/errors";

export type StoredAnswer = { status: number; body: unknown };

export const requestFingerprint = (method: string, path: string, rawBody: string) =>
  createHash("sha256").update(`${method} ${path}\n${rawBody}`).digest("hex");

/**
 * Runs a write once per Idempotency-Key. The key is claimed in the same transaction as the write, so
 * a concurrent retry waits for the first and then replays its answer; a failed write releases the
 * key with everything else. The same key with a different request is a conflict.
 */
export async function once(
  db: Db,
  tenantId: string,
  key: string,
  fingerprint: string,
  write: (tx: Db) => Promise<StoredAnswer>,
): Promise<StoredAnswer & { replayed: boolean }> {
  return db.transaction(async (tx) => {
    const claimed = await tx
      .insert(idempotencyKeys)
      .values({ tenantId, key, requestHash: fingerprint })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (claimed.length === 0) {
      const [first] = await tx
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.tenantId, tenantId), eq(idempotencyKeys.key, key)));
      if (!first || first.requestHash !== fingerprint || first.status === null) {
        throw new ConflictError("This Idempotency-Key was already used with a different request.");
      }
      return { status: first.status, body: first.response, replayed: true };
    }
    const answer = await write(tx);
    await tx
      .update(idempotencyKeys)
      .set({ status: answer.status, response: answer.body })
      .where(and(eq(idempotencyKeys.tenantId, tenantId), eq(idempotencyKeys.key, key)));
    return { ...answer, replayed: false };
  });
}
