"use client";

import { SubmitButton } from "@/components/ui/button";
import { CheckboxGroup, SelectField, TextField } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { useActionForm } from "@/components/ui/use-action-form";
import { createTenantAction, updateTenantAction } from "../actions";

type Option = { value: string; label: string };
type TenantFields = { id: string; key: string; name: string; rulePacks: string[]; defaultCountry: string; knowledgeOnlyStrong: boolean; emailDoubleOptIn: boolean; agentMfaRequired: boolean };

export function CreateTenantForm({ rulePacks }: { rulePacks: Option[] }) {
  const form = useActionForm(createTenantAction, { resetOnSuccess: true });
  return (
    <form {...form.formProps} className="space-y-3" aria-label="Add tenant">
      <FormMessage error={form.formError} success={form.data?.message} />
      <div className="grid gap-3 md:grid-cols-3">
        <TextField label="Key" name="key" error={form.fieldErrors.key} hint="Short, lower case, e.g. initech" autoComplete="off" />
        <TextField label="Name" name="name" error={form.fieldErrors.name} autoComplete="off" />
        <TextField label="Default country" name="defaultCountry" error={form.fieldErrors.defaultCountry} hint="Two letters, e.g. GB or US" maxLength={2} />
      </div>
      <CheckboxGroup legend="Rule-packs" name="rulePacks" options={rulePacks} error={form.fieldErrors.rulePacks} />
      <SubmitButton pending={form.pending} pendingText="Adding…">
        Add tenant
      </SubmitButton>
    </form>
  );
}

export function EditTenantForm({ tenant, rulePacks }: { tenant: TenantFields; rulePacks: Option[] }) {
  const form = useActionForm(updateTenantAction);
  return (
    <form {...form.formProps} className="space-y-3" aria-label={`Edit ${tenant.name}`}>
      <FormMessage error={form.formError} success={form.data?.message} />
      <input type="hidden" name="tenantId" value={tenant.id} />
      <div className="grid gap-3 md:grid-cols-2">
        <TextField label={`Name of ${tenant.key}`} name="name" defaultValue={tenant.name} error={form.fieldErrors.name} />
        <TextField
          label={`Default country of ${tenant.key}`}
          name="defaultCountry"
          defaultValue={tenant.defaultCountry}
          error={form.fieldErrors.defaultCountry}
          maxLength={2}
        />
      </div>
      <CheckboxGroup legend={`Rule-packs of ${tenant.key}`} name="rulePacks" options={rulePacks} defaultValues={tenant.rulePacks} error={form.fieldErrors.rulePacks} />
      <SelectField
        label={`Strong verification for ${tenant.key}`}
        name="knowledgeOnlyStrong"
        defaultValue={String(tenant.knowledgeOnlyStrong)}
        options={[
          { value: "false", label: "A one-time code plus a knowledge check (recommended)" },
          { value: "true", label: "Also two different knowledge checks, without a code" },
        ]}
        error={form.fieldErrors.knowledgeOnlyStrong}
        hint="Knowledge answers can be found or guessed; a code to a contact point on file proves possession."
      />
      <SelectField
        label={`Email consent for ${tenant.key}`}
        name="emailDoubleOptIn"
        defaultValue={String(tenant.emailDoubleOptIn)}
        options={[
          { value: "false", label: "Counts from when it is given" },
          { value: "true", label: "Double opt-in: counts once the customer follows the link we email them" },
        ]}
        error={form.fieldErrors.emailDoubleOptIn}
        hint="Double opt-in proves the address belongs to the person who agreed (expected in Germany, good practice elsewhere)."
      />
      <SelectField
        label={`Two-step sign-in for agents of ${tenant.key}`}
        name="agentMfaRequired"
        defaultValue={String(tenant.agentMfaRequired)}
        options={[
          { value: "false", label: "Optional for agents" },
          { value: "true", label: "Required: agents set up an authenticator app at their next sign-in" },
        ]}
        error={form.fieldErrors.agentMfaRequired}
        hint="Supervisors and admins always sign in with a second factor."
      />
      <SubmitButton pending={form.pending} variant="secondary" pendingText="Saving…">
        Save {tenant.name}
      </SubmitButton>
    </form>
  );
}
