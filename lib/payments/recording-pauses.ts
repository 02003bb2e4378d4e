import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "@/db/client";
import { recordingPauses, type Interaction, type RecordingPause } from "@/db/schema";
import type { Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";

/** The call's recording pause still open, if any (at most one: a partial unique index). */
export async function openPause(tx: Db, call: Interaction): Promise<RecordingPause | null> {
  const [pause] = await tx
    .select()
    .from(recordingPauses)
    .where(and(eq(recordingPauses.tenantId, call.tenantId), eq(recordingPauses.interactionId, call.id), isNull(recordingPauses.resumedAt)));
  return pause ?? null;
}

/** Resumes the recording: closes the pause and audits how it ended. */
export async function closePause(tx: Db, actor: Actor, call: Interaction, pause: RecordingPause, how: string, now: Date): Promise<void> {
  await tx.update(recordingPauses).set({ resumedAt: now }).where(and(eq(recordingPauses.tenantId, call.tenantId), eq(recordingPauses.id, pause.id)));
  await recordAudit(tx, actor, {
    tenantId: call.tenantId,
    action: "recording.resumed",
    entityType: "recording_pause",
    entityId: pause.id,
    customerId: call.customerId,
    interactionId: call.id,
    after: { recordingRef: call.recordingRef, pausedAt: pause.pausedAt.toISOString(), resumedAt: now.toISOString() },
    reason: how,
  });
}

/**
 * A call that ends while its recording is paused closes the pause with it, so that no pause is left
 * open on an ended call (F5: capture never relies on the agent remembering to resume). Call it in
 * the transaction that ends the call.
 */
export async function closeRecordingPauseAtCallEnd(tx: Db, actor: Actor, call: Interaction, at: Date): Promise<void> {
  const pause = await openPause(tx, call);
  if (pause) await closePause(tx, actor, call, pause, "the call ended while the recording was paused", at);
}
