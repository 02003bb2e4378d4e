"use client";

import { SubmitButton } from "@/components/ui/button";
import { CheckboxGroup, SelectField, TextArea, TextField } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { useActionForm } from "@/components/ui/use-action-form";
import { createPurposeAction, publishNoticeAction, updatePurposeAction } from "../actions";
import { CHANNELS, LEGAL_BASES } from "./labels";

type PurposeFields = { id: string; key: string; name: string; legalBasis: string; channels: string[]; reviewIntervalDays: number | null; validForDays: number | null };

const NO_YES = [
  { value: "false", label: "No" },
  { value: "true", label: "Yes: health, biometrics or another Art. 9 category (explicit consent)" },
];

export function CreatePurposeForm({ tenantId, tenantName }: { tenantId: string; tenantName: string }) {
  const form = useActionForm(createPurposeAction, { resetOnSuccess: true });
  return (
    <form {...form.formProps} className="space-y-3" aria-label={`Add a purpose for ${tenantName}`}>
      <FormMessage error={form.formError} success={form.data?.message} />
      <input type="hidden" name="tenantId" value={tenantId} />
      <div className="grid gap-3 md:grid-cols-2">
        <TextField label="Key" name="key" error={form.fieldErrors.key} hint="Lower case and underscores, e.g. partner_offers. It cannot change later." autoComplete="off" />
        <TextField label="Name" name="name" error={form.fieldErrors.name} hint="As notices name it, e.g. Partner offers" autoComplete="off" />
        <SelectField label="Legal basis" name="legalBasis" options={LEGAL_BASES} defaultValue="consent" error={form.fieldErrors.legalBasis} />
        <TextField label="Category" name="category" error={form.fieldErrors.category} hint="e.g. marketing, analytics, sharing; every marketing purpose is covered by a marketing objection" autoComplete="off" />
        <SelectField label="Special category" name="specialCategory" options={NO_YES} defaultValue="false" error={form.fieldErrors.specialCategory} />
        <div className="grid grid-cols-2 gap-3">
          <TextField label="Review interval (days)" name="reviewIntervalDays" inputMode="numeric" error={form.fieldErrors.reviewIntervalDays} hint="Grants older than this are flagged for a refresh; empty for none" />
          <TextField label="Validity (days)" name="validForDays" inputMode="numeric" error={form.fieldErrors.validForDays} hint="Grants lapse after this; empty for no expiry" />
        </div>
      </div>
      <CheckboxGroup legend="Channels" name="channels" options={CHANNELS} error={form.fieldErrors.channels} />
      <SubmitButton pending={form.pending} pendingText="Adding…">
        Add purpose
      </SubmitButton>
    </form>
  );
}

export function EditPurposeForm({ tenantId, purpose }: { tenantId: string; purpose: PurposeFields }) {
  const form = useActionForm(updatePurposeAction);
  const days = (value: number | null) => (value === null ? "" : String(value));
  return (
    <form {...form.formProps} className="space-y-3" aria-label={`Edit purpose ${purpose.key}`}>
      <FormMessage error={form.formError} success={form.data?.message} />
      <input type="hidden" name="tenantId" value={tenantId} />
      <input type="hidden" name="purposeId" value={purpose.id} />
      <div className="grid gap-3 md:grid-cols-2">
        <TextField label={`Name of ${purpose.key}`} name="name" defaultValue={purpose.name} error={form.fieldErrors.name} />
        <SelectField
          label={`Legal basis of ${purpose.key}`}
          name="legalBasis"
          options={LEGAL_BASES}
          defaultValue={purpose.legalBasis}
          error={form.fieldErrors.legalBasis}
          hint="Fixed once consent has been recorded for the purpose: processing cannot move to another basis (a new purpose needs fresh consent)."
        />
        <TextField
          label={`Review interval of ${purpose.key} (days)`}
          name="reviewIntervalDays"
          inputMode="numeric"
          defaultValue={days(purpose.reviewIntervalDays)}
          error={form.fieldErrors.reviewIntervalDays}
          hint="Empty for none"
        />
        <TextField
          label={`Validity of ${purpose.key} (days)`}
          name="validForDays"
          inputMode="numeric"
          defaultValue={days(purpose.validForDays)}
          error={form.fieldErrors.validForDays}
          hint="Applies to grants recorded from now on; empty for no expiry"
        />
      </div>
      <CheckboxGroup legend={`Channels of ${purpose.key} (channels can be added, not removed)`} name="channels" options={CHANNELS} defaultValues={purpose.channels} error={form.fieldErrors.channels} />
      <SubmitButton pending={form.pending} variant="secondary" pendingText="Saving…">
        Save {purpose.key}
      </SubmitButton>
    </form>
  );
}

export function PublishNoticeForm({ tenantId, tenantName, purposes }: { tenantId: string; tenantName: string; purposes: { value: string; label: string }[] }) {
  const form = useActionForm(publishNoticeAction, { resetOnSuccess: true });
  return (
    <form {...form.formProps} className="space-y-3" aria-label={`Publish a notice version for ${tenantName}`}>
      <FormMessage error={form.formError} success={form.data?.message} />
      <input type="hidden" name="tenantId" value={tenantId} />
      <CheckboxGroup legend="Purposes it covers" name="purposeKeys" options={purposes} error={form.fieldErrors.purposeKeys} />
      <div className="grid gap-3 md:grid-cols-2">
        <SelectField
          label="Kind"
          name="kind"
          options={[
            { value: "script", label: "Script: what an agent reads on a call" },
            { value: "web", label: "Web: the text a page shows" },
          ]}
          defaultValue="script"
          error={form.fieldErrors.kind}
        />
        <TextField label="Language" name="language" defaultValue="en" error={form.fieldErrors.language} hint="A language tag such as en, en-GB or cy" autoComplete="off" />
      </div>
      <TextArea
        label="Text"
        name="text"
        rows={6}
        error={form.fieldErrors.text}
        hint={`It must name ${tenantName} as the controller, each purpose by its name, and how to withdraw consent. Once published it never changes: a change is a new version.`}
      />
      <SubmitButton pending={form.pending} pendingText="Publishing…">
        Publish version
      </SubmitButton>
    </form>
  );
}
