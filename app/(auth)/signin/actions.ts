"use server";

import { AuthError } from "next-auth";
import { redirect } from "next/navigation";
import { getDb } from "@/db/client";
import { startStaffSession } from "@/lib/auth";
import { afterSignInPath } from "@/lib/auth/after-sign-in";
import { requestIp } from "@/lib/auth/request";
import { ENROLMENT_GRANT_MS, sessionGrant } from "@/lib/auth/session-grant";
import { env } from "@/lib/env";
import { passSecondFactor, secondFactorProofSchema, signIn, type SecondFactorResult } from "@/lib/staff/sign-in";
import { currentChallengeId, forgetChallenge, rememberChallenge } from "./challenge-cookie";

export type SignInState = { error?: string; email?: string } | null;

/** Same message whatever went wrong, so the form never reveals whether an account exists. */
const FAILED = "Those details did not work. Check your email and password. After 5 failed attempts an account is locked for 15 minutes.";

function tryAgainLater(retryAfterSeconds: number): string {
  const minutes = Math.ceil(retryAfterSeconds / 60);
  const wait = retryAfterSeconds < 60 ? `${retryAfterSeconds} seconds` : `${minutes} minute${minutes === 1 ? "" : "s"}`;
  return `Too many failed sign-ins from your network. Try again in ${wait}.`;
}

export async function signInAction(_previous: SignInState, form: FormData): Promise<SignInState> {
  // Anyone may post anything to an action, not only the form's FormData.
  if (!(form instanceof FormData)) return { error: "Enter your email and password." };
  const email = String(form.get("email") ?? "").trim();
  const password = String(form.get("password") ?? "");
  if (!email || !password) return { error: "Enter your email and password.", email };
  if (email.length > 254 || password.length > 200) return { error: FAILED, email };
  const next = afterSignInPath(form.get("next"), env.APP_URL);
  const result = await signIn(await getDb(), email, password, await requestIp());
  switch (result.outcome) {
    case "refused":
      return { error: FAILED, email };
    case "rate-limited":
      return { error: tryAgainLater(result.retryAfterSeconds), email };
    case "signed-in":
      await startStaffSession(result);
      redirect(next);
    case "second-factor":
      await rememberChallenge(result.challengeId);
      redirect(`/signin/second-factor?next=${encodeURIComponent(next)}`);
  }
}

export type SecondFactorState = { error?: string; fieldError?: string; recoveryCodes?: string[]; next?: string; grant?: string } | null;

const WRONG: Record<string, string> = {
  "code already used": "That code has already been used. Wait for the next code in your app and type it.",
  "wrong recovery code": "That recovery code did not work. Each code works once.",
};

export async function secondFactorAction(_previous: SecondFactorState, form: FormData): Promise<SecondFactorState> {
  if (!(form instanceof FormData)) return { fieldError: "Enter the code." };
  const next = afterSignInPath(form.get("next"), env.APP_URL);
  const proof = secondFactorProofSchema.safeParse({ kind: form.get("kind"), code: form.get("code") ?? "", ticket: form.get("ticket") ?? undefined });
  if (!proof.success) return { fieldError: proof.error.issues[0]?.message ?? "Enter the code." };
  const challengeId = await currentChallengeId();
  const result: SecondFactorResult = challengeId
    ? await passSecondFactor(await getDb(), challengeId, proof.data, await requestIp())
    : { outcome: "expired" };
  switch (result.outcome) {
    case "wrong":
      return { fieldError: WRONG[result.reason] ?? "That code did not work. Type the code your authenticator app shows now." };
    case "rate-limited":
      return { error: tryAgainLater(result.retryAfterSeconds) };
    case "expired":
      await forgetChallenge();
      redirect("/signin?expired=1");
    case "signed-in":
      // After enrolment the recovery codes are shown, once, before any staff page: the session cookie is
      // written when the person goes on (writing it now would re-render this page and lose the codes).
      if (result.recoveryCodes) return { recoveryCodes: result.recoveryCodes, next, grant: sessionGrant(result.sessionId, new Date(), ENROLMENT_GRANT_MS) };
      await forgetChallenge();
      await startStaffSession(result);
      redirect(next);
  }
}

/** "I have saved my recovery codes": the session opened at enrolment gets its cookie. */
export async function continueAfterEnrolmentAction(form: FormData): Promise<void> {
  if (!(form instanceof FormData)) redirect("/signin?expired=1");
  try {
    await startStaffSession({ grant: String(form.get("grant") ?? "") });
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    redirect("/signin?expired=1");
  }
  await forgetChallenge();
  redirect(afterSignInPath(form.get("next"), env.APP_URL));
}
