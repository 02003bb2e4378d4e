"use server";

import { revalidatePath } from "next/cache";
import { staffAction } from "@/lib/action";
import {
  addBankAccount,
  addBankAccountSchema,
  addCard,
  addCardSchema,
  billingAddressSchema,
  changeBillingAddress,
  describeMethod,
  paymentMethodSchema,
  pauseRecording,
  recordingPauseSchema,
  recordingResumeSchema,
  removePaymentMethod,
  resumeRecording,
  setDefaultPaymentMethod,
} from "@/lib/payments/payment-methods";

/**
 * The payment panel's doors. Each answers with words only: never the card number, security code or
 * account number, which the form clears whatever the answer (RULES.md F1–F3).
 */
const CALL_HANDLERS = ["agent", "supervisor", "admin"] as const;
const refreshCustomerPage = () => revalidatePath("/customers/[id]", "page");

export const pauseRecordingAction = staffAction({ roles: CALL_HANDLERS, schema: recordingPauseSchema }, async (input, actor, db) => {
  await pauseRecording(db, actor, input);
  refreshCustomerPage();
  return { message: "Recording paused: take the card details now. It resumes when the card is saved." };
});

export const resumeRecordingAction = staffAction({ roles: CALL_HANDLERS, schema: recordingResumeSchema }, async (input, actor, db) => {
  await resumeRecording(db, actor, input);
  refreshCustomerPage();
  return { message: "Recording resumed." };
});

export const addCardAction = staffAction({ roles: CALL_HANDLERS, schema: addCardSchema }, async (input, actor, db) => {
  const method = await addCard(db, actor, input);
  refreshCustomerPage();
  return { message: `Saved: ${describeMethod(method)}${method.isDefault ? ", the default" : ""}. The recording has resumed and the customer has been told.` };
});

export const addBankAccountAction = staffAction({ roles: CALL_HANDLERS, schema: addBankAccountSchema }, async (input, actor, db) => {
  const method = await addBankAccount(db, actor, input);
  refreshCustomerPage();
  return { message: `Saved: ${describeMethod(method)}. The customer has been told.` };
});

export const setDefaultPaymentMethodAction = staffAction({ roles: CALL_HANDLERS, schema: paymentMethodSchema }, async (input, actor, db) => {
  const method = await setDefaultPaymentMethod(db, actor, input);
  refreshCustomerPage();
  return { message: `${describeMethod(method)} is now the default.` };
});

export const removePaymentMethodAction = staffAction({ roles: CALL_HANDLERS, schema: paymentMethodSchema }, async (input, actor, db) => {
  await removePaymentMethod(db, actor, input);
  refreshCustomerPage();
  return { message: "Removed. The customer has been told." };
});

export const billingAddressAction = staffAction({ roles: CALL_HANDLERS, schema: billingAddressSchema }, async (input, actor, db) => {
  const method = await changeBillingAddress(db, actor, input);
  refreshCustomerPage();
  return { message: `Billing address of the ${describeMethod(method)} saved.` };
});
