"use client";

import { SubmitButton } from "@/components/ui/button";
import { CheckboxGroup, SelectField, TextField } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { useActionForm } from "@/components/ui/use-action-form";
import { createApiKeyAction, revokeApiKeyAction, setApiKeyRateLimitAction } from "../actions";

type Option = { value: string; label: string };

export function CreateApiKeyForm({ tenants, scopes }: { tenants: Option[]; scopes: Option[] }) {
  const form = useActionForm(createApiKeyAction, { resetOnSuccess: true });
  return (
    <div className="space-y-3">
      {form.data ? (
        <div role="status" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm">
          <p className="font-semibold">Key “{form.data.name}” created. Copy it now: it will not be shown again.</p>
          <label htmlFor="new-api-key" className="mt-2 block text-xs font-medium">
            New API key
          </label>
          <input id="new-api-key" readOnly value={form.data.key} className="mt-1 w-full rounded border border-amber-300 bg-white px-2 py-1 font-mono" onFocus={(e) => e.currentTarget.select()} />
        </div>
      ) : null}
      <form {...form.formProps} className="space-y-3" aria-label="Create API key">
        <FormMessage error={form.formError} />
        <div className="grid gap-3 md:grid-cols-2">
          <SelectField label="Tenant" name="tenantId" options={tenants} placeholder="Choose a tenant" error={form.fieldErrors.tenantId} />
          <TextField label="Key name" name="name" error={form.fieldErrors.name} hint="Which system uses it, e.g. Dialler" autoComplete="off" />
        </div>
        <CheckboxGroup legend="Scopes" name="scopes" options={scopes} error={form.fieldErrors.scopes} />
        <SubmitButton pending={form.pending} pendingText="Creating…">
          Create API key
        </SubmitButton>
      </form>
    </div>
  );
}

export function RevokeApiKeyForm({ apiKeyId, name }: { apiKeyId: string; name: string }) {
  const form = useActionForm(revokeApiKeyAction);
  return (
    <form
      {...form.formProps}
      onSubmit={(event) => {
        if (!window.confirm(`Revoke the key “${name}”? Systems using it will be refused at once.`)) {
          event.preventDefault();
          return;
        }
        form.formProps.onSubmit(event);
      }}
    >
      <FormMessage error={form.formError} />
      <input type="hidden" name="apiKeyId" value={apiKeyId} />
      <SubmitButton pending={form.pending} variant="danger" pendingText="Revoking…" className="px-2 py-1 text-xs">
        Revoke<span className="sr-only"> {name}</span>
      </SubmitButton>
    </form>
  );
}

type RateLimitFields = { id: string; ratePerSecond: number | null; rateBurst: number | null };

type RateLimitFormProps = { apiKey: RateLimitFields; name: string; defaults: { perSecond: number; burst: number } };

/** A key's own rate limit; an empty field means the default, shown as the placeholder. `name` tells keys apart. */
export function ApiKeyRateLimitForm({ apiKey, name, defaults }: RateLimitFormProps) {
  const form = useActionForm(setApiKeyRateLimitAction);
  return (
    <form {...form.formProps} className="space-y-3" aria-label={`Rate limit of ${name}`}>
      <FormMessage error={form.formError} success={form.data?.message} />
      <input type="hidden" name="apiKeyId" value={apiKey.id} />
      <div className="grid gap-3 md:grid-cols-2">
        <TextField
          label={`Requests a second for ${name}`}
          name="ratePerSecond"
          inputMode="numeric"
          defaultValue={apiKey.ratePerSecond ?? ""}
          placeholder={`${defaults.perSecond} (default)`}
          error={form.fieldErrors.ratePerSecond}
          autoComplete="off"
        />
        <TextField
          label={`Burst for ${name}`}
          name="rateBurst"
          inputMode="numeric"
          defaultValue={apiKey.rateBurst ?? ""}
          placeholder={`${defaults.burst} (default)`}
          error={form.fieldErrors.rateBurst}
          hint="Calls it may make at once after a quiet spell"
          autoComplete="off"
        />
      </div>
      <SubmitButton pending={form.pending} variant="secondary" pendingText="Saving…">
        Save rate limit<span className="sr-only"> of {name}</span>
      </SubmitButton>
    </form>
  );
}
