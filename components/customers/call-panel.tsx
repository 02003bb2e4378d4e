"use client";

import { useActionState } from "react";
import type { ActionResult } from "@/lib/action";
import { SubmitButton } from "@/components/ui/button";
import { SelectField, TextArea, TextField } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { CallTimer, formatDuration } from "./call-timer";

type StartResult = ActionResult<{ interactionId: string; startedAt: string }>;
type EndResult = ActionResult<{ durationSeconds: number; dispositionLabel: string }>;

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
  const [startState, start] = useActionState(startCallAction, null);
  const [endState, end] = useActionState(endCallAction, null);
  const startErrors = startState && !startState.ok ? startState.fieldErrors : undefined;
  const endErrors = endState && !endState.ok ? endState.fieldErrors : undefined;

  if (!openCall) {
    return (
      <div className="space-y-3">
        {endState?.ok ? (
          <FormMessage
            success={`Call ended after ${formatDuration(endState.data.durationSeconds)} (${endState.data.dispositionLabel}).`}
          />
        ) : null}
        <form action={start} className="space-y-3">
          <FormMessage error={startState && !startState.ok ? startState.formError : undefined} />
          <input type="hidden" name="customerId" value={customerId} />
          <div className="grid gap-3 sm:grid-cols-2">
            <TextField label="Caller number (optional)" name="callerNumber" defaultValue={callerFromScreenPop} error={startErrors?.callerNumber} inputMode="tel" />
            <TextField label="Recording reference (optional)" name="recordingRef" error={startErrors?.recordingRef} />
          </div>
          <SubmitButton pendingText="Starting…">Start call</SubmitButton>
        </form>
      </div>
    );
  }

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-4 rounded-md bg-green-50 px-3 py-2 text-sm text-green-950" role="status">
        <span className="inline-flex items-center gap-2 font-semibold">
          <span className="size-2.5 animate-pulse rounded-full bg-green-600" aria-hidden="true" />
          On call
        </span>
        <CallTimer startedAt={openCall.startedAt} />
        {openCall.callerNumber ? <span>Caller {openCall.callerNumber}</span> : null}
        {openCall.recordingRef ? <span>Recording {openCall.recordingRef}</span> : null}
      </div>
      <form action={end} className="space-y-3">
        <FormMessage error={endState && !endState.ok ? endState.formError : undefined} />
        <input type="hidden" name="interactionId" value={openCall.id} />
        <SelectField label="Disposition" name="disposition" options={dispositions} placeholder="Choose how the call ended" error={endErrors?.disposition} required />
        <TextArea label="Summary" name="summary" rows={3} error={endErrors?.summary} required maxLength={4000} />
        <SubmitButton variant="danger" pendingText="Ending…">
          End call
        </SubmitButton>
      </form>
    </div>
  );
}
