"use server";

import { revalidatePath } from "next/cache";
import { staffAction } from "@/lib/action";
import { closeAlertSchema, closeVerificationAlert } from "@/lib/identity/verification";

export const closeAlertAction = staffAction({ roles: ["supervisor", "admin"], schema: closeAlertSchema }, async (input, actor, db) => {
  await closeVerificationAlert(db, actor, input);
  revalidatePath("/alerts");
  return { message: "Alert closed." };
});
