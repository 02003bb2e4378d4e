"use client";

import { useActionForm } from "@/components/ui/use-action-form";
import { revealFieldAction } from "./actions";

type RevealableField = "email" | "phone" | "address" | "dateOfBirth";

type Row = { label: string; masked: string | null; field?: RevealableField };

/** A masked value with its Reveal button; once revealed (and audited), the clear value in its place. */
function RevealableValue({ interactionId, customerId, field, label, masked }: { interactionId: string; customerId: string; field: RevealableField; label: string; masked: string }) {
  const reveal = useActionForm(revealFieldAction);
  if (reveal.data) return <span className="text-slate-900">{reveal.data.value}</span>;
  return (
    <form {...reveal.formProps} className="inline">
      {masked}
      <input type="hidden" name="interactionId" value={interactionId} />
      <input type="hidden" name="customerId" value={customerId} />
      <input type="hidden" name="field" value={field} />
      <button type="submit" disabled={reveal.pending} className="ml-2 rounded border border-slate-300 px-2 py-0.5 font-sans text-xs font-semibold text-brand-700 hover:bg-brand-50">
        Reveal<span className="sr-only"> {label.toLowerCase()}</span>
      </button>
      {reveal.formError ? (
        <span role="alert" className="ml-2 font-sans text-xs text-red-700">
          {reveal.formError}
        </span>
      ) : null}
    </form>
  );
}

/**
 * The customer's details, masked until the caller is verified; then each field can be revealed, one
 * at a time, and every reveal is audited.
 */
export function CustomerDetails({ rows, canReveal, interactionId, customerId }: { rows: Row[]; canReveal: boolean; interactionId: string | null; customerId: string }) {
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
      {rows.map((row) => (
        <div key={row.label} className="contents">
          <dt className="text-slate-700">{row.label}</dt>
          <dd className="font-mono break-all">
            {canReveal && interactionId && row.field && row.masked ? (
              // Keyed by the masked value: when the field changes, the old clear value goes and it is masked again.
              <RevealableValue key={row.masked} interactionId={interactionId} customerId={customerId} field={row.field} label={row.label} masked={row.masked} />
            ) : (
              (row.masked ?? "—")
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}
