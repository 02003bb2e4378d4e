"use server";

import { revalidatePath } from "next/cache";
import { staffAction } from "@/lib/action";
import { TYPE_WORDS, dayWords } from "@/lib/privacy-requests/messages";
import { logPrivacyRequest, logRequestSchema } from "@/lib/privacy-requests/requests";
import { liftRestriction, liftRestrictionSchema } from "@/lib/privacy-requests/restriction";

const CALL_HANDLERS = ["agent", "supervisor", "admin"] as const;

/**
 * Logs what the caller asks for. The answer carries the words the agent reads back before the call
 * ends, which is the confirmation of receipt by phone (RULES.md D1).
 */
export const logPrivacyRequestAction = staffAction({ roles: CALL_HANDLERS, schema: logRequestSchema }, async (input, actor, db) => {
  try {
    const request = await logPrivacyRequest(db, actor, input);
    // As the customer hears it: "your request for a copy of your personal data", not the staff label "access".
    const what = TYPE_WORDS[request.type];
    const script =
      request.status === "completed"
        ? `“I've recorded your ${what} and it applies from now. You'll get a confirmation by message.”`
        : request.status === "identity_pending"
          ? `“I've logged your ${what} today. Before we act on it we need to confirm it's you; we'll only use information we already hold. We will respond by ${dayWords(request.dueAt, request.regime, true)}, free of charge.”`
          : `“I've logged your ${what} today. We will respond by ${dayWords(request.dueAt, request.regime, true)}, free of charge, and you'll get a confirmation by message.”`;
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
