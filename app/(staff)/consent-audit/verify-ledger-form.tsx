"use client";

import { SubmitButton } from "@/components/ui/button";
import { FormMessage } from "@/components/ui/form-message";
import { useActionForm } from "@/components/ui/use-action-form";
import { verifyLedgerAction } from "./actions";

const utc = (iso: string) => `${iso.replace("T", " ").slice(0, 19)} UTC`;

export function VerifyLedgerForm({ tenantId, tenantName }: { tenantId: string; tenantName: string }) {
  const form = useActionForm(verifyLedgerAction);
  const result = form.data;
  return (
    <form {...form.formProps} className="space-y-3" aria-label={`Verify the consent ledger of ${tenantName}`}>
      <input type="hidden" name="tenantId" value={tenantId} />
      <FormMessage error={form.formError} />
      {result?.ok ? (
        <p role="status" className="rounded-md border border-green-300 bg-green-50 px-3 py-2 text-sm text-green-900">
          Ledger intact: {result.events.toLocaleString("en-GB")} events of {result.customers.toLocaleString("en-GB")} customers verified ({utc(result.checkedAt)}).
        </p>
      ) : null}
      {result && !result.ok ? (
        <div role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">
          <p className="font-semibold">The ledger is broken: an event was changed or removed outside Attest. This has been recorded as a security event.</p>
          <p className="mt-1">First broken event (of {result.events.toLocaleString("en-GB")} events, {result.customers.toLocaleString("en-GB")} customers):</p>
          <dl className="mt-1 grid grid-cols-[max-content_1fr] gap-x-3 gap-y-0.5">
            <dt className="font-medium">Event</dt>
            <dd className="font-mono text-xs">{result.broken.id}</dd>
            <dt className="font-medium">Customer</dt>
            <dd>{result.broken.customerRef ?? "unknown"}</dd>
            <dt className="font-medium">Purpose</dt>
            <dd>{result.broken.purpose ?? "unknown"}</dd>
            <dt className="font-medium">Channel</dt>
            <dd>{result.broken.channel ?? "unknown"}</dd>
            <dt className="font-medium">Occurred at</dt>
            <dd>{result.broken.occurredAt ? utc(result.broken.occurredAt) : "unknown"}</dd>
          </dl>
        </div>
      ) : null}
      <SubmitButton pending={form.pending} pendingText="Verifying…">
        Verify ledger<span className="sr-only"> of {tenantName}</span>
      </SubmitButton>
    </form>
  );
}
