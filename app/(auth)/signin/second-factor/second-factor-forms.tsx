"use client";

import { useActionState, useState, type ReactNode } from "react";
import { RecoveryCodes } from "@/components/staff/second-factor";
import { SubmitButton } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { continueAfterEnrolmentAction, secondFactorAction } from "../actions";

export function SecondFactorForm({ next }: { next: string }) {
  const [state, action] = useActionState(secondFactorAction, null);
  const [recovery, setRecovery] = useState(false);
  return (
    <form action={action} className="space-y-4" noValidate>
      <FormMessage error={state?.error} />
      <input type="hidden" name="next" value={next} />
      <input type="hidden" name="kind" value={recovery ? "recovery" : "code"} />
      {recovery ? (
        <TextField
          key="recovery"
          label="Recovery code"
          name="code"
          autoComplete="off"
          required
          autoFocus
          error={state?.fieldError}
          hint="One of the 10 codes you saved when you set up two-step sign-in. Each works once."
        />
      ) : (
        <TextField
          key="code"
          label="Authentication code"
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          required
          autoFocus
          error={state?.fieldError}
          hint="The 6-digit code your authenticator app shows for Attest."
        />
      )}
      <SubmitButton className="w-full" pendingText="Checking…">
        Verify
      </SubmitButton>
      <button
        type="button"
        className="text-sm font-medium text-brand-700 underline"
        onClick={() => setRecovery(!recovery)}
      >
        {recovery ? "Use your authenticator app instead" : "Use a recovery code instead"}
      </button>
    </form>
  );
}

export function EnrolDuringSignInForm({
  ticket,
  next,
  children,
}: {
  ticket: string;
  next: string;
  children: ReactNode;
}) {
  const [state, action] = useActionState(secondFactorAction, null);
  if (state?.recoveryCodes) {
    return (
      <RecoveryCodes codes={state.recoveryCodes}>
        <form action={continueAfterEnrolmentAction}>
          <input type="hidden" name="grant" value={state.grant ?? ""} />
          <input type="hidden" name="next" value={state.next ?? next} />
          <SubmitButton className="w-full" pendingText="Signing in…">
            I have saved my recovery codes. Continue
          </SubmitButton>
        </form>
      </RecoveryCodes>
    );
  }
  return (
    <form action={action} className="space-y-4" noValidate>
      <FormMessage error={state?.error} />
      {children}
      <input type="hidden" name="next" value={next} />
      <input type="hidden" name="kind" value="enrol" />
      <input type="hidden" name="ticket" value={ticket} />
      <TextField
        label="Authentication code"
        name="code"
        inputMode="numeric"
        autoComplete="one-time-code"
        required
        error={state?.fieldError}
        hint="The 6-digit code the app shows once Attest is added."
      />
      <SubmitButton className="w-full" pendingText="Checking…">
        Turn on two-step sign-in
      </SubmitButton>
    </form>
  );
}
