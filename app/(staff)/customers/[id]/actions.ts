"use server";

import { revalidatePath } from "next/cache";
import { staffAction } from "@/lib/action";
import { DISPOSITION_LABELS, endCall, endCallSchema, startCall, startCallSchema } from "@/lib/interactions/interactions";

const CALL_HANDLERS = ["agent", "supervisor", "admin"] as const;

export const startCallAction = staffAction({ roles: CALL_HANDLERS, schema: startCallSchema }, async (input, actor, db) => {
  const call = await startCall(db, actor, input);
  revalidatePath(`/customers/${input.customerId}`);
  return { interactionId: call.id, startedAt: call.startedAt.toISOString() };
});

export const endCallAction = staffAction({ roles: CALL_HANDLERS, schema: endCallSchema }, async (input, actor, db) => {
  const call = await endCall(db, actor, input);
  revalidatePath(`/customers/${call.customerId}`);
  const seconds = Math.round((call.endedAt!.getTime() - call.startedAt.getTime()) / 1000);
  return { durationSeconds: seconds, dispositionLabel: DISPOSITION_LABELS[call.disposition!] };
});
