"use client";

import { Badge } from "@/components/ui/card";
import { SubmitButton } from "@/components/ui/button";
import { SelectField, TextArea } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { Table } from "@/components/ui/table";
import { useActionForm } from "@/components/ui/use-action-form";
import { liftRestrictionAction, logPrivacyRequestAction } from "./privacy-actions";

type InCall = { interactionId: string; customerId: string };

/** Days already in words, as each request's jurisdiction counts them. */
export type PrivacyRequestRow = { id: string; typeLabel: string; status: string; received: string; due: string; overdue: boolean };

const STATUS_TONES: Record<string, "neutral" | "good" | "warn" | "bad" | "info"> = {
  identity_pending: "warn",
  open: "info",
  in_progress: "info",
  awaiting_release: "info",
  completed: "good",
  rejected: "neutral",
};

/**
 * Privacy requests on the customer page: log what the caller asks for, in their own words, during the
 * call; see what they asked before and when each is due. An opt-out of sale or sharing and an
 * objection to marketing apply at once without verification; every other request needs the caller
 * strongly verified, or waits as "identity pending" for a supervisor.
 */
export function PrivacyPanel({
  call,
  strongVerified,
  types,
  requests,
  restriction,
  erased,
}: {
  call: InCall | null;
  erased: boolean;
  strongVerified: boolean;
  types: { value: string; label: string }[];
  requests: PrivacyRequestRow[];
  restriction: { customerId: string; version: number; canLift: boolean } | null;
}) {
  return (
    <div className="space-y-4">
      {erased ? null : call ? (
        <LogRequestForm call={call} strongVerified={strongVerified} types={types} />
      ) : (
        <p className="text-sm text-slate-700">Start a call to log a request the customer makes.</p>
      )}
      {restriction ? <RestrictionNotice {...restriction} /> : null}
      {requests.length ? (
        <Table columns={["Request", "Status", "Received", "Due"]} dense>
          {requests.map((r) => (
            <tr key={r.id}>
              <td className="py-1 pr-3">{r.typeLabel}</td>
              <td className="py-1 pr-3">
                <Badge tone={STATUS_TONES[r.status]}>{r.status.replaceAll("_", " ")}</Badge>
              </td>
              <td className="py-1 pr-3">{r.received}</td>
              <td className="py-1 pr-3">
                {r.due}
                {r.overdue ? (
                  <span className="ml-2">
                    <Badge tone="bad">overdue</Badge>
                  </span>
                ) : null}
              </td>
            </tr>
          ))}
        </Table>
      ) : (
        <p className="text-sm text-slate-700">No privacy requests.</p>
      )}
    </div>
  );
}

function LogRequestForm({ call, strongVerified, types }: { call: InCall; strongVerified: boolean; types: { value: string; label: string }[] }) {
  const form = useActionForm(logPrivacyRequestAction, { resetOnSuccess: true });
  const e = form.fieldErrors;
  return (
    <form {...form.formProps} className="space-y-3" aria-label="Log a privacy request">
      <FormMessage error={form.formError} success={form.data ? <ReadBack message={form.data.message} script={form.data.script} rectification={form.data.type === "rectification" && form.data.status === "open"} /> : null} />
      <input type="hidden" name="interactionId" value={call.interactionId} />
      <input type="hidden" name="customerId" value={call.customerId} />
      <div className="grid gap-3 md:grid-cols-2">
        <SelectField label="What the customer is asking for" name="type" options={types} placeholder="Choose…" error={e.type} />
        <TextArea
          label="The customer's words"
          name="customerWords"
          rows={2}
          error={e.customerWords}
          hint="As they said it: no form or special words are needed for a request to count."
        />
      </div>
      <p className="text-xs text-slate-700">
        {strongVerified
          ? "The caller is strongly verified: the request can be worked at once."
          : "The caller is not strongly verified: an opt-out of sale or sharing and an objection to marketing still apply at once; other requests wait as “identity pending”. Do not ask for identity documents."}
      </p>
      <SubmitButton pending={form.pending} pendingText="Logging…">
        Log request
      </SubmitButton>
    </form>
  );
}

/** Rectification (B8): the correction is made now, in the same call, with the profile form. */
function ReadBack({ message, script, rectification }: { message: string; script: string; rectification: boolean }) {
  return (
    <span>
      {message} <strong>Read to the customer:</strong> {script}
      {rectification ? (
        <>
          {" "}
          <a href="#update-details" className="font-semibold underline">
            Correct their details now
          </a>
          .
        </>
      ) : null}
    </span>
  );
}

function RestrictionNotice({ customerId, version, canLift }: { customerId: string; version: number; canLift: boolean }) {
  const form = useActionForm(liftRestrictionAction);
  return (
    <div className="space-y-2 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-950">
      <p>Processing is restricted at the customer&apos;s request: the data is only stored. Only a correction of their details can be made.</p>
      {canLift ? (
        <form {...form.formProps} className="space-y-2" aria-label="Lift the restriction">
          <FormMessage error={form.formError} success={form.data?.message} />
          <input type="hidden" name="customerId" value={customerId} />
          <input type="hidden" name="version" value={version} />
          <TextArea label="Why the restriction ends (the customer is told first)" name="reason" rows={2} error={form.fieldErrors.reason} />
          <SubmitButton variant="secondary" pending={form.pending} pendingText="Lifting…">
            Lift restriction
          </SubmitButton>
        </form>
      ) : null}
    </div>
  );
}
