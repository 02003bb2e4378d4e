import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { AuthenticatorSetup } from "@/components/staff/second-factor";
import { getDb } from "@/db/client";
import { afterSignInPath } from "@/lib/auth/after-sign-in";
import { env } from "@/lib/env";
import { offerEnrolment } from "@/lib/staff/second-factor";
import { openChallenge } from "@/lib/staff/sign-in";
import { currentChallengeId } from "../challenge-cookie";
import { SignInCard } from "../sign-in-card";
import { EnrolDuringSignInForm, SecondFactorForm } from "./second-factor-forms";

export const metadata: Metadata = { title: "Two-step sign-in" };

export default async function SecondFactorPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const next = afterSignInPath((await searchParams).next, env.APP_URL);
  const challengeId = await currentChallengeId();
  const challenge = challengeId ? await openChallenge(await getDb(), challengeId) : null;
  if (!challenge) redirect(challengeId ? "/signin?expired=1" : "/signin");
  if (!challenge.enrol) {
    return (
      <SignInCard subtitle="Two-step sign-in">
        <SecondFactorForm next={next} />
      </SignInCard>
    );
  }
  const enrolment = await offerEnrolment({ id: challenge.staffId, email: challenge.email });
  return (
    <SignInCard subtitle="Set up two-step sign-in">
      <p className="mb-4 text-sm text-slate-800">
        Your role needs a second step at sign-in: a code from an authenticator app on your phone. Set it up now to
        continue.
      </p>
      <EnrolDuringSignInForm ticket={enrolment.ticket} next={next}>
        <AuthenticatorSetup qrSvg={enrolment.qrSvg} secret={enrolment.secret} />
      </EnrolDuringSignInForm>
    </SignInCard>
  );
}
