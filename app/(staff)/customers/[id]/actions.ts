"use server";

import { revalidatePath } from "next/cache";
import { staffAction } from "@/lib/action";
import { callConsentSchema, objectionSchema, recordCallConsent, recordContactRevocation, recordMarketingObjection, revocationSchema } from "@/lib/consent/capture";
import { changeCustomerStatus, profileUpdateSchema, revealField, revealSchema, statusChangeSchema, updateProfile } from "@/lib/customers/profile";
import {
  resetMultiFactor,
  securityActionSchema,
  securityQuestionSchema,
  sendPasswordReset,
  setSecurityQuestion,
} from "@/lib/identity/security-settings";
import {
  checkCodeSchema,
  checkKnowledge,
  checkKnowledgeSchema,
  checkVerificationCode,
  sendCodeSchema,
  sendVerificationCode,
  type CheckOutcome,
} from "@/lib/identity/verification";
import { DISPOSITION_LABELS, endCall, endCallSchema, startCall, startCallSchema } from "@/lib/interactions/interactions";

const CALL_HANDLERS = ["agent", "supervisor", "admin"] as const;
const refreshCustomerPage = () => revalidatePath("/customers/[id]", "page");

export const startCallAction = staffAction({ roles: CALL_HANDLERS, schema: startCallSchema }, async (input, actor, db) => {
  const call = await startCall(db, actor, input);
  refreshCustomerPage();
  return { interactionId: call.id, startedAt: call.startedAt.toISOString() };
});

export const endCallAction = staffAction({ roles: CALL_HANDLERS, schema: endCallSchema }, async (input, actor, db) => {
  const call = await endCall(db, actor, input);
  refreshCustomerPage();
  const seconds = Math.round((call.endedAt!.getTime() - call.startedAt.getTime()) / 1000);
  return { durationSeconds: seconds, dispositionLabel: DISPOSITION_LABELS[call.disposition!], changes: call.changes };
});

function describe(outcome: CheckOutcome): string {
  if (outcome.match) return outcome.level === "none" ? "Match." : `Match: the caller is verified (${outcome.level}).`;
  if (outcome.locked) {
    const until = outcome.lockedUntil!.toISOString().replace("T", " ").slice(0, 16);
    return `No match. Verification locked for this customer until ${until} UTC, in every call; a supervisor is told.`;
  }
  if (outcome.expired) return "That code has expired. Send a new one.";
  return `No match. ${outcome.attemptsLeft} ${outcome.attemptsLeft === 1 ? "attempt" : "attempts"} left.`;
}

export const sendCodeAction = staffAction({ roles: CALL_HANDLERS, schema: sendCodeSchema }, async (input, actor, db) => {
  const { destination } = await sendVerificationCode(db, actor, input);
  refreshCustomerPage();
  return { message: `Code sent to ${destination}. Ask the caller to read it out.` };
});

export const checkCodeAction = staffAction({ roles: CALL_HANDLERS, schema: checkCodeSchema }, async (input, actor, db) => {
  const outcome = await checkVerificationCode(db, actor, input);
  refreshCustomerPage();
  return { match: outcome.match, message: describe(outcome) };
});

export const checkKnowledgeAction = staffAction({ roles: CALL_HANDLERS, schema: checkKnowledgeSchema }, async (input, actor, db) => {
  const outcome = await checkKnowledge(db, actor, input);
  refreshCustomerPage();
  return { match: outcome.match, message: describe(outcome) };
});

export const revealFieldAction = staffAction({ roles: CALL_HANDLERS, schema: revealSchema }, async (input, actor, db) => {
  return { field: input.field, value: await revealField(db, actor, input) };
});

export const updateProfileAction = staffAction({ roles: CALL_HANDLERS, schema: profileUpdateSchema }, async (input, actor, db) => {
  try {
    await updateProfile(db, actor, input);
    return { message: "Saved. The customer has been notified of any new contact details." };
  } finally {
    // On success, and on a stale save too: the page must show the current version and values.
    refreshCustomerPage();
  }
});

export const changeStatusAction = staffAction({ roles: CALL_HANDLERS, schema: statusChangeSchema }, async (input, actor, db) => {
  const customer = await changeCustomerStatus(db, actor, input);
  refreshCustomerPage();
  return { message: `The profile is now ${customer.status}.` };
});

export const passwordResetAction = staffAction({ roles: CALL_HANDLERS, schema: securityActionSchema }, async (input, actor, db) => {
  await sendPasswordReset(db, actor, input);
  refreshCustomerPage();
  return { message: "A password-reset link is on its way to the email on file." };
});

export const resetMfaAction = staffAction({ roles: CALL_HANDLERS, schema: securityActionSchema }, async (input, actor, db) => {
  await resetMultiFactor(db, actor, input);
  refreshCustomerPage();
  return { message: "Two-step verification was reset; the customer has been told." };
});

export const securityQuestionAction = staffAction({ roles: CALL_HANDLERS, schema: securityQuestionSchema }, async (input, actor, db) => {
  await setSecurityQuestion(db, actor, input);
  refreshCustomerPage();
  return { message: "Security question saved; the customer has been told." };
});

const DECISION_WORDS = { grant: "agreed to", refuse: "refused", withdraw: "withdrew" } as const;

export const recordConsentAction = staffAction({ roles: CALL_HANDLERS, schema: callConsentSchema }, async (input, actor, db) => {
  const captured = await recordCallConsent(db, actor, input);
  refreshCustomerPage();
  const what = `${input.purpose.replaceAll("_", " ")} by ${input.channel}`;
  if (captured.alreadyRecorded) return { message: `Already recorded in this call: ${what}.` };
  if (captured.awaitingConfirmation) return { message: `Recorded: a confirmation link is on its way to the customer; ${what} counts once they confirm.` };
  return { message: `Recorded: the customer ${DECISION_WORDS[input.decision]} ${what}.` };
});

export const objectionAction = staffAction({ roles: CALL_HANDLERS, schema: objectionSchema }, async (input, actor, db) => {
  const { recorded } = await recordMarketingObjection(db, actor, input);
  refreshCustomerPage();
  return { message: recorded ? "Objection recorded: all marketing has stopped on every channel." : "Already recorded in this call." };
});

export const revocationAction = staffAction({ roles: CALL_HANDLERS, schema: revocationSchema }, async (input, actor, db) => {
  const { recorded } = await recordContactRevocation(db, actor, input);
  refreshCustomerPage();
  return { message: recorded ? `Revocation recorded: ${recorded} consent${recorded === 1 ? "" : "s"} withdrawn, effective now.` : "Already recorded in this call." };
});
