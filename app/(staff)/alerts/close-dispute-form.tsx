"use client";

import { SubmitButton } from "@/components/ui/button";
import { TextArea } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { useActionForm } from "@/components/ui/use-action-form";
import { closeDisputeAction } from "./actions";

export function CloseDisputeForm({ disputeId, label }: { disputeId: string; label: string }) {
  const form = useActionForm(closeDisputeAction);
  return (
    <form {...form.formProps} className="space-y-2" aria-label={`Close dispute for ${label}`}>
      <FormMessage error={form.formError} success={form.data?.message} />
      <input type="hidden" name="disputeId" value={disputeId} />
      <TextArea
        label="Review note"
        name="note"
        rows={2}
        error={form.fieldErrors.note}
        hint="What the recording showed, whether the customer was contacted, and what you did (e.g. agent coaching, choices recorded again)."
      />
      <SubmitButton pending={form.pending} variant="secondary" pendingText="Closing…">
        Close dispute
      </SubmitButton>
    </form>
  );
}
