"use server";

import { revalidatePath } from "next/cache";
import { staffAction } from "@/lib/action";
import {
  confirmEnrolmentSchema,
  enrolSecondFactor,
  regenerateRecoveryCodes,
  regenerateRecoveryCodesSchema,
} from "@/lib/staff/second-factor";

const EVERYONE = ["agent", "supervisor", "admin"] as const;

export const enrolSecondFactorAction = staffAction(
  { roles: EVERYONE, schema: confirmEnrolmentSchema },
  async (input, actor, db) => {
    const recoveryCodes = await enrolSecondFactor(db, actor, input);
    revalidatePath("/account/security");
    return { recoveryCodes };
  },
);

export const regenerateRecoveryCodesAction = staffAction(
  { roles: EVERYONE, schema: regenerateRecoveryCodesSchema },
  async (input, actor, db) => {
    const recoveryCodes = await regenerateRecoveryCodes(db, actor, input);
    revalidatePath("/account/security");
    return { recoveryCodes };
  },
);
