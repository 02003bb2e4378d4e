"use server";

import { getDb } from "@/db/client";
import { currentStaff, signOut } from "@/lib/auth";
import { endSession } from "@/lib/staff/sessions";

export async function signOutAction(): Promise<void> {
  const actor = await currentStaff();
  if (actor) await endSession(await getDb(), actor);
  await signOut({ redirectTo: "/signin" });
}
