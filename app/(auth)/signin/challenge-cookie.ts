import "server-only";
import { cookies } from "next/headers";
import { env } from "@/lib/env";
import { SIGN_IN_CHALLENGE_MS } from "@/lib/staff/policy";

/**
 * The sign-in under way in this browser, between the password and the second factor: only the
 * challenge's random id, HttpOnly, sent only to /signin pages. The database row decides whether it is
 * still open; the password is never kept.
 */
const NAME = "attest-sign-in";
const PATH = "/signin";

export async function rememberChallenge(challengeId: string): Promise<void> {
  (await cookies()).set(NAME, challengeId, {
    httpOnly: true,
    sameSite: "lax",
    secure: new URL(env.APP_URL).protocol === "https:",
    path: PATH,
    maxAge: SIGN_IN_CHALLENGE_MS / 1000,
  });
}

export async function currentChallengeId(): Promise<string | null> {
  return (await cookies()).get(NAME)?.value ?? null;
}

export async function forgetChallenge(): Promise<void> {
  (await cookies()).delete({ name: NAME, path: PATH });
}
