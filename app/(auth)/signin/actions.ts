"use server";

import { AuthError } from "next-auth";
import { redirect } from "next/navigation";
import { signIn } from "@/lib/auth";

export type SignInState = { error?: string; email?: string } | null;

/** Same message whatever went wrong, so the form never reveals whether an account exists. */
const FAILED = "Those details did not work. Check your email and password. After 5 failed attempts an account is locked for 15 minutes.";

function safeNext(value: FormDataEntryValue | null): string {
  const next = typeof value === "string" ? value : "";
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/signin") ? next : "/desk";
}

export async function signInAction(_previous: SignInState, form: FormData): Promise<SignInState> {
  // Anyone may post anything to an action, not only the form's FormData.
  if (!(form instanceof FormData)) return { error: "Enter your email and password." };
  const email = String(form.get("email") ?? "").trim();
  const password = String(form.get("password") ?? "");
  if (!email || !password) return { error: "Enter your email and password.", email };
  try {
    await signIn("credentials", { email, password, redirect: false });
  } catch (error) {
    if (error instanceof AuthError) return { error: FAILED, email };
    throw error;
  }
  redirect(safeNext(form.get("next")));
}
