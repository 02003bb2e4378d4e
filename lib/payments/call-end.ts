import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "@/db/client";
import { recordingPauses, type Interaction } from "@/db/schema";
import type { Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";

/**
 * A call that ends while its recording is paused closes the pause with it, so that no pause is left
 * open on an ended call (F5: capture never relies on the agent remembering to resume). Call it in
 * the transaction that ends the call.
 */
export async function closeRecordingPauseAtCallEnd(tx: Db, actor: Actor, call: Interaction, at: Date): Promise<void> {
  const closed = await tx
    .update(recordingPauses)
    .set({ resumedAt: at })
    .where(and(eq(recordingPauses.tenantId, call.tenantId), eq(recordingPauses.interactionId, call.id), isNull(recordingPauses.resumedAt)))
    .returning();
  for (const pause of closed) {
    await recordAudit(tx, actor, {
      tenantId: call.tenantId,
      action: "recording.resumed",
      entityType: "recording_pause",
      entityId: pause.id,
      customerId: call.customerId,
      interactionId: call.id,
      after: { recordingRef: call.recordingRef, pausedAt: pause.pausedAt.toISOString(), resumedAt: at.toISOString() },
      reason: "the call ended while the recording was paused",
    });
  }
}
