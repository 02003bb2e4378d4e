"use client";

import type { ActionResult } from "@/lib/action";
import { SubmitButton } from "@/components/ui/button";
import { SelectField, TextArea, TextField } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { useActionForm } from "@/components/ui/use-action-form";
import { CallTimer } from "./call-timer";
import { formatDuration } from "./duration";

type StartResult = ActionResult<{ interactionId: string; startedAt: string }>;
type EndResult = ActionResult<{ durationSeconds: number; dispositionLabel: string; changes: string[] }>;

type Props = {
  customerId: string;
  openCall: { id: string; startedAt: string; callerNumber: string | null; recordingRef: string | null } | null;
  callerFromScreenPop?: string;
  dispositions: { value: string; label: string }[];
  startCallAction: (state: StartResult | null, form: FormData) => Promise<StartResult>;
  endCallAction: (state: EndResult | null, form: FormData) => Promise<EndResult>;
};

/** Start a call, see it running, and end it with a disposition and a summary. */
export function CallPanel({ customerId, openCall, callerFromScreenPop, dispositions, startCallAction, endCallAction }: Props) {
  const start = useActionForm(startCallAction);
  const end = useActionForm(endCallAction);

  if (!openCall) {
    return (
      <div className="space-y-3">
        {end.data ? (
          <FormMessage
            success={
              <>
                <p>
                  Call ended after {formatDuration(end.data.durationSeconds)} ({end.data.dispositionLabel}).
                </p>
                {end.data.changes.length > 0 ? (
                  <>
                    <p className="mt-1 font-semibold">Changed during the call (the customer has been sent this list):</p>
                    <ul className="list-disc pl-5">
                      {end.data.changes.map((change, i) => (
                        <li key={i}>{change}</li>
                      ))}
                    </ul>
                  </>
                ) : (
                  <p>Nothing was changed during the call.</p>
                )}
              </>
            }
          />
        ) : null}
        <form {...start.formProps} className="space-y-3">
          <FormMessage error={start.formError} />
          <input type="hidden" name="customerId" value={customerId} />
          <div className="grid gap-3 sm:grid-cols-2">
            <TextField label="Caller number (optional)" name="callerNumber" defaultValue={callerFromScreenPop} error={start.fieldErrors.callerNumber} inputMode="tel" />
            <TextField label="Recording reference (optional)" name="recordingRef" error={start.fieldErrors.recordingRef} />
          </div>
          <SubmitButton pending={start.pending} pendingText="Starting…">
            Start call
          </SubmitButton>
        </form>
      </div>
    );
  }

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-4 rounded-md bg-green-50 px-3 py-2 text-sm text-green-950">
        <span className="inline-flex items-center gap-2 font-semibold">
          <span className="size-2.5 animate-pulse rounded-full bg-green-600" aria-hidden="true" />
          On call
        </span>
        <CallTimer startedAt={openCall.startedAt} />
        {openCall.callerNumber ? <span>Caller {openCall.callerNumber}</span> : null}
        {openCall.recordingRef ? <span>Recording {openCall.recordingRef}</span> : null}
      </div>
      <form {...end.formProps} className="space-y-3">
        <FormMessage error={end.formError} />
        <input type="hidden" name="interactionId" value={openCall.id} />
        <SelectField label="Disposition" name="disposition" options={dispositions} placeholder="Choose how the call ended" error={end.fieldErrors.disposition} required />
        <TextArea label="Summary" name="summary" rows={3} error={end.fieldErrors.summary} required maxLength={4000} />
        <SubmitButton pending={end.pending} variant="danger" pendingText="Ending…">
          End call
        </SubmitButton>
      </form>
    </div>
  );
}
