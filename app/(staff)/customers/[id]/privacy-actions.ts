"use server";

import { revalidatePath } from "next/cache";
import { staffAction } from "@/lib/action";
import { dayWords, readBackScript } from "@/lib/privacy-requests/messages";
import { logPrivacyRequest, logRequestSchema } from "@/lib/privacy-requests/requests";
import { liftRestriction, liftRestrictionSchema } from "@/lib/privacy-requests/restriction";

const CALL_HANDLERS = ["agent", "supervisor", "admin"] as const;

/**
 * Logs what the caller asks for. The answer carries the words the agent reads back before the call
 * ends, which is the confirmation of receipt by phone (RULES.md D1). Logging the same thing twice in
 * a call (a double click) answers the request already made.
 */
export const logPrivacyRequestAction = staffAction({ roles: CALL_HANDLERS, schema: logRequestSchema }, async (input, actor, db) => {
  try {
    const request = await logPrivacyRequest(db, actor, input);
    // As the customer hears it ("your request for a copy of your personal data"), promising a written confirmation only when one is sent.
    const script = readBackScript(request, request.writtenConfirmation);
    return { message: request.status === "completed" ? "Recorded and applied." : `Logged: due ${dayWords(request.dueAt, request.regime, true)}.`, script, status: request.status, type: request.type };
  } finally {
    revalidatePath("/customers/[id]", "page");
  }
});

export const liftRestrictionAction = staffAction({ roles: ["supervisor", "admin"], schema: liftRestrictionSchema }, async (input, actor, db) => {
  try {
    await liftRestriction(db, actor, input);
    return { message: "Restriction lifted; the customer has been told." };
  } finally {
    revalidatePath("/customers/[id]", "page");
  }
});
