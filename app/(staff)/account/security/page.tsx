import type { Metadata } from "next";
import { Card } from "@/components/ui/card";
import { AuthenticatorSetup } from "@/components/staff/second-factor";
import { getDb } from "@/db/client";
import { requireStaff } from "@/lib/auth";
import { offerEnrolment, secondFactorStatus } from "@/lib/staff/second-factor";
import { EnrolForm, RegenerateRecoveryCodesForm } from "./security-forms";

export const metadata: Metadata = { title: "Your security" };

export default async function SecurityPage() {
  const staff = await requireStaff();
  const status = await secondFactorStatus(await getDb(), staff);
  const enrolment = status.enrolledAt ? null : await offerEnrolment(staff);
  return (
    <div className="max-w-2xl space-y-6">
      <h1 className="text-2xl font-bold">Your security</h1>
      <Card title="Two-step sign-in" titleId="two-step">
        {status.enrolledAt ? (
          <div className="space-y-4">
            <p className="text-sm text-slate-800">
              On since {status.enrolledAt.toISOString().slice(0, 10)}: you sign in with your password and a code from
              your authenticator app. {status.recoveryCodesLeft} of 10 recovery codes left.
            </p>
            <RegenerateRecoveryCodesForm />
          </div>
        ) : enrolment ? (
          <div className="space-y-4">
            <p className="text-sm text-slate-800">
              {status.required
                ? "Off, but your role or one of your tenants requires it: set it up now (you will be asked at your next sign-in)."
                : "Off. Turn it on so that a stolen password alone cannot open your account."}
            </p>
            <EnrolForm ticket={enrolment.ticket}>
              <AuthenticatorSetup qrSvg={enrolment.qrSvg} secret={enrolment.secret} />
            </EnrolForm>
          </div>
        ) : null}
      </Card>
    </div>
  );
}
