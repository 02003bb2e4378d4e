"use client";

import { SubmitButton } from "@/components/ui/button";
import { CheckboxGroup, SelectField, TextField } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { useActionForm } from "@/components/ui/use-action-form";
import { disableWebhookEndpointAction, registerWebhookEndpointAction } from "../actions";

type Option = { value: string; label: string };

export function RegisterWebhookForm({ tenants, eventTypes }: { tenants: Option[]; eventTypes: Option[] }) {
  const form = useActionForm(registerWebhookEndpointAction, { resetOnSuccess: true });
  return (
    <div className="space-y-3">
      {form.data ? (
        <div role="status" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm">
          <p className="font-semibold">Endpoint {form.data.url} registered. Copy its signing secret now: it will not be shown again.</p>
          <label htmlFor="new-webhook-secret" className="mt-2 block text-xs font-medium">
            Signing secret
          </label>
          <input id="new-webhook-secret" readOnly value={form.data.secret} className="mt-1 w-full rounded border border-amber-300 bg-white px-2 py-1 font-mono" onFocus={(e) => e.currentTarget.select()} />
          <p className="mt-1 text-xs">Select the field and copy it (Ctrl+C or ⌘C) into the receiving system, which checks the Attest-Signature header with it.</p>
        </div>
      ) : null}
      <form {...form.formProps} className="space-y-3" aria-label="Register webhook endpoint">
        <FormMessage error={form.formError} />
        <div className="grid gap-3 md:grid-cols-2">
          <SelectField label="Tenant" name="tenantId" options={tenants} placeholder="Choose a tenant" error={form.fieldErrors.tenantId} />
          <TextField label="Description" name="description" error={form.fieldErrors.description} hint="Which system receives these, e.g. CRM" autoComplete="off" />
        </div>
        <TextField
          label="Endpoint URL"
          name="url"
          type="url"
          inputMode="url"
          error={form.fieldErrors.url}
          hint="https:// (plain http:// only for localhost or 127.0.0.1)"
          placeholder="https://crm.example.com/attest-webhooks"
          autoComplete="off"
        />
        <CheckboxGroup legend="Events" name="eventTypes" options={eventTypes} error={form.fieldErrors.eventTypes} />
        <SubmitButton pending={form.pending} pendingText="Registering…">
          Register endpoint
        </SubmitButton>
      </form>
    </div>
  );
}

export function DisableWebhookForm({ endpointId, label }: { endpointId: string; label: string }) {
  const form = useActionForm(disableWebhookEndpointAction);
  return (
    <form
      {...form.formProps}
      onSubmit={(event) => {
        if (!window.confirm(`Disable the endpoint “${label}”? Nothing more will be sent to it, including deliveries still being retried.`)) {
          event.preventDefault();
          return;
        }
        form.formProps.onSubmit(event);
      }}
    >
      <FormMessage error={form.formError} />
      <input type="hidden" name="endpointId" value={endpointId} />
      <SubmitButton pending={form.pending} variant="danger" pendingText="Disabling…" className="px-2 py-1 text-xs">
        Disable<span className="sr-only"> {label}</span>
      </SubmitButton>
    </form>
  );
}
