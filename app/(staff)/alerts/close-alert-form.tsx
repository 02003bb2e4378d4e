"use client";

import { SubmitButton } from "@/components/ui/button";
import { TextArea } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { useActionForm } from "@/components/ui/use-action-form";
import { closeAlertAction } from "./actions";

export function CloseAlertForm({ alertId, label }: { alertId: string; label: string }) {
  const form = useActionForm(closeAlertAction);
  return (
    <form {...form.formProps} className="space-y-2" aria-label={`Close alert for ${label}`}>
      <FormMessage error={form.formError} success={form.data?.message} />
      <input type="hidden" name="alertId" value={alertId} />
      <TextArea label="Review note" name="note" rows={2} error={form.fieldErrors.note} hint="What you checked (recording, caller history) and what you did." />
      <SubmitButton pending={form.pending} variant="secondary" pendingText="Closing…">
        Close alert
      </SubmitButton>
    </form>
  );
}
