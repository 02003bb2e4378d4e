"use client";

import { SubmitButton } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { useActionForm } from "@/components/ui/use-action-form";
import { changeStatusAction, updateProfileAction } from "./actions";

type InCall = { interactionId: string; customerId: string };

/**
 * Only the fields typed are changed; empty means unchanged, so no personal data needs to be shown to
 * edit it. The version travels with the form: a save over someone else's newer change is refused.
 */
export function ProfileForm({ interactionId, customerId, version, defaultCountry }: InCall & { version: number; defaultCountry: string }) {
  const form = useActionForm(updateProfileAction, { resetOnSuccess: true });
  const e = form.fieldErrors;
  return (
    <form {...form.formProps} className="space-y-3" aria-label="Update details">
      <FormMessage error={form.formError} success={form.data?.message} />
      <input type="hidden" name="interactionId" value={interactionId} />
      <input type="hidden" name="customerId" value={customerId} />
      <input type="hidden" name="version" value={version} />
      <p className="text-xs text-slate-700">Type only what changes; leave the rest empty. A new email, phone or address needs strong verification.</p>
      <div className="grid gap-3 md:grid-cols-2">
        <TextField label="New name" name="name" autoComplete="off" error={e.name} />
        <TextField label="New email" name="email" type="email" autoComplete="off" error={e.email} />
        <TextField label="New phone" name="phone" type="tel" autoComplete="off" error={e.phone} hint={`Without a country code, read as ${defaultCountry}`} />
        <TextField label="New date of birth" name="dateOfBirth" type="date" error={e.dateOfBirth} />
        <TextField label="New preferred language" name="language" autoComplete="off" error={e.language} hint="e.g. en-GB, es, cy" />
      </div>
      <fieldset className="rounded-md border border-slate-200 p-3">
        <legend className="px-1 text-sm font-medium">New postal address</legend>
        <div className="grid gap-3 md:grid-cols-2">
          <TextField label="Address line 1" name="addressLine1" autoComplete="off" error={e.addressLine1} />
          <TextField label="Address line 2" name="addressLine2" autoComplete="off" error={e.addressLine2} />
          <TextField label="Town or city" name="city" autoComplete="off" error={e.city} />
          <TextField label="County, state or region" name="region" autoComplete="off" error={e.region} />
          <TextField label="Postcode" name="postcode" autoComplete="off" error={e.postcode} />
          <TextField label="Country" name="country" autoComplete="off" maxLength={2} error={e.country} hint={`Two letters; empty means ${defaultCountry}`} />
        </div>
      </fieldset>
      <SubmitButton pending={form.pending} pendingText="Saving…">
        Save changes
      </SubmitButton>
    </form>
  );
}

export function StatusForm({ interactionId, customerId, status }: InCall & { status: string }) {
  const form = useActionForm(changeStatusAction, { resetOnSuccess: true });
  const next = status === "active" ? "inactive" : "active";
  return (
    <form {...form.formProps} className="space-y-2" aria-label="Profile status">
      <FormMessage error={form.formError} success={form.data?.message} />
      <input type="hidden" name="interactionId" value={interactionId} />
      <input type="hidden" name="customerId" value={customerId} />
      <input type="hidden" name="status" value={next} />
      <div className="flex flex-wrap items-end gap-2">
        <TextField label={`Reason to ${next === "inactive" ? "inactivate" : "reactivate"}`} name="reason" error={form.fieldErrors.reason} className="min-w-72 flex-1" />
        <SubmitButton pending={form.pending} variant="secondary" pendingText="Saving…">
          {next === "inactive" ? "Inactivate profile" : "Reactivate profile"}
        </SubmitButton>
      </div>
    </form>
  );
}
