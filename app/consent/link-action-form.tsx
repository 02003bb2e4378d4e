"use client";

import { useActionState } from "react";
import { SubmitButton } from "@/components/ui/button";
import { FormMessage } from "@/components/ui/form-message";
import type { LinkActionState } from "./link-action";

/**
 * The one button of a customer-link page. It posts (a mail scanner that follows the link only ever
 * GETs the page) and works without JavaScript; the answer is announced (role status or alert).
 */
export function LinkActionForm({
  action,
  token,
  label,
  pendingText,
  variant = "primary",
}: {
  action: (state: LinkActionState, form: FormData) => Promise<LinkActionState>;
  token: string;
  label: string;
  pendingText: string;
  variant?: "primary" | "danger";
}) {
  const [state, formAction] = useActionState(action, null);
  if (state?.ok) return <FormMessage success={state.message} />;
  return (
    <form action={formAction} className="space-y-3">
      <FormMessage error={state && !state.ok ? state.error : undefined} />
      <input type="hidden" name="token" value={token} />
      <SubmitButton className="w-full sm:w-auto" pendingText={pendingText} variant={variant}>
        {label}
      </SubmitButton>
    </form>
  );
}
