"use client";

import type { ReactNode } from "react";
import { RecoveryCodes } from "@/components/staff/second-factor";
import { SubmitButton } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { useActionForm } from "@/components/ui/use-action-form";
import { enrolSecondFactorAction, regenerateRecoveryCodesAction } from "./actions";

export function EnrolForm({ ticket, children }: { ticket: string; children: ReactNode }) {
  const form = useActionForm(enrolSecondFactorAction);
  if (form.data) return <RecoveryCodes codes={form.data.recoveryCodes} />;
  return (
    <form {...form.formProps} className="space-y-4" aria-label="Set up two-step sign-in">
      <FormMessage error={form.formError} />
      {children}
      <input type="hidden" name="ticket" value={ticket} />
      <TextField
        label="Authentication code"
        name="code"
        inputMode="numeric"
        autoComplete="one-time-code"
        error={form.fieldErrors.code}
      />
      <SubmitButton pending={form.pending} pendingText="Checking…">
        Turn on two-step sign-in
      </SubmitButton>
    </form>
  );
}

export function RegenerateRecoveryCodesForm() {
  const form = useActionForm(regenerateRecoveryCodesAction);
  if (form.data) return <RecoveryCodes codes={form.data.recoveryCodes} />;
  return (
    <form {...form.formProps} className="space-y-3" aria-label="Make new recovery codes">
      <FormMessage error={form.formError} />
      <p className="text-sm text-slate-800">
        New codes replace all the old ones. Type a code from your app to confirm it is you.
      </p>
      <TextField
        label="Authentication code"
        name="code"
        inputMode="numeric"
        autoComplete="one-time-code"
        error={form.fieldErrors.code}
      />
      <SubmitButton pending={form.pending} variant="secondary" pendingText="Making codes…">
        Make new recovery codes
      </SubmitButton>
    </form>
  );
}
