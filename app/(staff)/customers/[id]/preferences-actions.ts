"use server";

import { revalidatePath } from "next/cache";
import { staffAction } from "@/lib/action";
import { preferencesUpdateSchema, updateMarketingPreferences } from "@/lib/preferences/preferences";

const CALL_HANDLERS = ["agent", "supervisor", "admin"] as const;

export const updatePreferencesAction = staffAction({ roles: CALL_HANDLERS, schema: preferencesUpdateSchema }, async (input, actor, db) => {
  try {
    const saved = await updateMarketingPreferences(db, actor, input);
    return { message: "Preferences saved; the customer has been sent a confirmation.", version: saved.version };
  } finally {
    // On success, and on a stale save too: the panel must show the current version and values.
    revalidatePath("/customers/[id]", "page");
  }
});
