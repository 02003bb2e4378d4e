"use server";

import { revalidatePath } from "next/cache";
import { staffAction } from "@/lib/action";
import { closeConsentDispute, closeDisputeSchema } from "@/lib/consent/disputes";
import { closeAlertSchema, closeVerificationAlert } from "@/lib/identity/verification";

export const closeAlertAction = staffAction({ roles: ["supervisor", "admin"], schema: closeAlertSchema }, async (input, actor, db) => {
  await closeVerificationAlert(db, actor, input);
  revalidatePath("/alerts");
  return { message: "Alert closed." };
});

export const closeDisputeAction = staffAction({ roles: ["supervisor", "admin"], schema: closeDisputeSchema }, async (input, actor, db) => {
  await closeConsentDispute(db, actor, input);
  revalidatePath("/alerts");
  return { message: "Dispute closed." };
});
