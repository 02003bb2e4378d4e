"use client";

import { useEffect, useRef, useState } from "react";
import { SubmitButton } from "@/components/ui/button";
import { Badge } from "@/components/ui/card";
import { TextArea, TextField } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { useActionForm } from "@/components/ui/use-action-form";
import type { ConsentPanel as PanelData, PanelCell, PanelPurpose } from "@/lib/consent/panel";
import { objectionAction, recordConsentAction, revocationAction } from "./actions";

type InCall = { interactionId: string; customerId: string };

const CHANNEL_LABELS = { email: "Email", sms: "SMS", phone: "Phone", post: "Post", in_app: "In app" } as const;
type Channel = keyof typeof CHANNEL_LABELS;

const REASON_LABELS: Record<PanelCell["reason"], { label: string; tone: "good" | "bad" | "warn" | "neutral" | "info" }> = {
  granted: { label: "Granted", tone: "good" },
  no_record: { label: "Not asked", tone: "neutral" },
  unknown_customer: { label: "Unknown", tone: "neutral" },
  refused: { label: "Refused", tone: "bad" },
  withdrawn: { label: "Withdrawn", tone: "bad" },
  objected: { label: "Objected", tone: "bad" },
  expired: { label: "Expired", tone: "warn" },
  pending_confirmation: { label: "Awaiting confirmation", tone: "info" },
  restricted: { label: "Restricted", tone: "warn" },
  erased: { label: "Erased", tone: "neutral" },
  invalidated: { label: "Disputed", tone: "warn" },
  contact_point_changed: { label: "Old contact point", tone: "warn" },
};

const day = (iso: string | null) => (iso ? iso.slice(0, 10) : null);

function CallFields({ interactionId, customerId }: InCall) {
  return (
    <>
      <input type="hidden" name="interactionId" value={interactionId} />
      <input type="hidden" name="customerId" value={customerId} />
    </>
  );
}

/** A withdrawal is one click from the grid: never harder than the grant was (RULES.md A10). */
function WithdrawButton({ call, purpose, channel }: { call: InCall; purpose: PanelPurpose; channel: Channel }) {
  const form = useActionForm(recordConsentAction);
  return (
    <form {...form.formProps} aria-label={`Withdraw ${purpose.name} by ${CHANNEL_LABELS[channel]}`}>
      <CallFields {...call} />
      <input type="hidden" name="purpose" value={purpose.key} />
      <input type="hidden" name="channel" value={channel} />
      <input type="hidden" name="decision" value="withdraw" />
      <SubmitButton pending={form.pending} variant="secondary" pendingText="Withdrawing…" className="!px-2 !py-1 text-xs">
        Withdraw<span className="sr-only"> {purpose.name} by {CHANNEL_LABELS[channel]}</span>
      </SubmitButton>
      {form.formError ? (
        <p role="alert" className="mt-1 text-xs font-medium text-red-700">
          {form.formError}
        </p>
      ) : null}
    </form>
  );
}

function Cell({ cell, purpose, call, onAsk }: { cell: PanelCell; purpose: PanelPurpose; call: InCall | null; onAsk: () => void }) {
  const shown = REASON_LABELS[cell.reason];
  const withdrawable = cell.reason === "granted" || cell.reason === "pending_confirmation" || cell.reason === "contact_point_changed";
  return (
    <td className="px-3 py-2 align-top">
      <div className="flex flex-col items-start gap-1">
        <Badge tone={shown.tone}>{shown.label}</Badge>
        {cell.since ? <span className="text-xs text-slate-700">since {day(cell.since)}</span> : null}
        {cell.validUntil ? <span className="text-xs text-slate-700">until {day(cell.validUntil)}</span> : null}
        {cell.prompt ? <span className="text-xs font-medium text-amber-900">{cell.prompt}</span> : null}
        {call ? (
          <div className="flex flex-wrap gap-1">
            {withdrawable ? <WithdrawButton call={call} purpose={purpose} channel={cell.channel as Channel} /> : null}
            <button
              type="button"
              onClick={onAsk}
              aria-label={`${cell.mayAsk ? "Ask" : "Record answer"}: ${purpose.name} by ${CHANNEL_LABELS[cell.channel as Channel]}`}
              className="rounded-md border border-slate-300 bg-white px-2 py-1 text-xs font-semibold text-slate-800 hover:bg-slate-50"
            >
              {cell.mayAsk ? "Ask" : "Record answer"}
            </button>
          </div>
        ) : null}
      </div>
    </td>
  );
}

/**
 * The agent reads the script and records the customer's answer for this one purpose and channel.
 * Nothing is pre-selected (RULES.md A1); the proof is the call's recording or, on an unrecorded call,
 * the customer's words attested by the agent (A7); a special category asks for the customer's own
 * statement and is confirmed by the customer afterwards (A8).
 */
function CaptureForm({ call, purpose, channel, recordingRef, canGrant, doubleOptIn, onDone }: { call: InCall; purpose: PanelPurpose; channel: Channel; recordingRef: string | null; canGrant: boolean; doubleOptIn: boolean; onDone: () => void }) {
  const form = useActionForm(recordConsentAction);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [purpose.key, channel]);
  const title = `${purpose.name} by ${CHANNEL_LABELS[channel]}`;
  const awaitsConfirmation = purpose.specialCategory || (doubleOptIn && channel === "email");
  return (
    <form {...form.formProps} className="space-y-3 rounded-md border border-brand-200 bg-brand-50/40 p-3" aria-label={`Record consent: ${title}`}>
      <h3 ref={heading} tabIndex={-1} className="text-sm font-semibold text-slate-900">
        Ask the customer: {title}
      </h3>
      <FormMessage error={form.formError} success={form.data?.message} />
      <CallFields {...call} />
      <input type="hidden" name="purpose" value={purpose.key} />
      <input type="hidden" name="channel" value={channel} />
      {purpose.script ? (
        <figure>
          <figcaption className="text-xs text-slate-700">
            Read this script word for word (version {purpose.script.version}, {purpose.script.language}
            {purpose.script.inCustomerLanguage ? "" : "; not published in the customer's language"}):
          </figcaption>
          <blockquote className="mt-1 rounded border-l-4 border-brand-600 bg-white px-3 py-2 text-sm text-slate-900">{purpose.script.text}</blockquote>
          <input type="hidden" name="noticeId" value={purpose.script.id} />
        </figure>
      ) : (
        <p role="alert" className="text-sm font-medium text-red-700">
          No script is published for {purpose.name}: a grant cannot be recorded until an admin publishes one. A refusal can.
        </p>
      )}
      {form.fieldErrors.noticeId ? <p className="text-sm font-medium text-red-700">{form.fieldErrors.noticeId}</p> : null}
      <fieldset aria-describedby={form.fieldErrors.decision ? "consent-decision-error" : undefined}>
        <legend className="mb-1 text-sm font-medium text-slate-800">The customer&apos;s answer</legend>
        <div className="flex flex-wrap gap-4 text-sm">
          <label className="inline-flex items-center gap-2">
            <input type="radio" name="decision" value="grant" className="size-4" disabled={!canGrant || !purpose.script} />
            Yes, agrees
          </label>
          <label className="inline-flex items-center gap-2">
            <input type="radio" name="decision" value="refuse" className="size-4" />
            No, refuses
          </label>
        </div>
        {!canGrant ? <p className="mt-1 text-xs text-slate-700">Verify the caller before recording a yes; a no can be recorded now.</p> : null}
        {form.fieldErrors.decision ? (
          <p id="consent-decision-error" className="mt-1 text-sm font-medium text-red-700">
            {form.fieldErrors.decision}
          </p>
        ) : null}
      </fieldset>
      {purpose.specialCategory ? (
        <TextArea
          label="The customer's own statement (explicit consent)"
          name="customerWords"
          rows={2}
          error={form.fieldErrors.customerWords}
          hint="Type what they said, naming the purpose. A confirmation link then goes to their contact details on file; the consent counts once they confirm."
        />
      ) : null}
      {recordingRef ? (
        <p className="text-xs text-slate-700">This call is recorded ({recordingRef}): the recording proves the answer.</p>
      ) : (
        <div className="space-y-2">
          <TextField label="Recording reference (if recorded elsewhere)" name="recordingRef" error={form.fieldErrors.recordingRef} autoComplete="off" />
          {purpose.specialCategory ? null : (
            <TextArea label="The customer's words" name="customerWords" rows={2} error={form.fieldErrors.customerWords} hint="Needed when the call is not recorded." />
          )}
          <label className="flex items-start gap-2 text-sm">
            <input type="checkbox" name="attested" className="mt-0.5 size-4" aria-describedby={form.fieldErrors.attested ? "consent-attested-error" : undefined} />
            I confirm the customer said these words to me on this call.
          </label>
          {form.fieldErrors.attested ? (
            <p id="consent-attested-error" className="text-sm font-medium text-red-700">
              {form.fieldErrors.attested}
            </p>
          ) : null}
        </div>
      )}
      {awaitsConfirmation ? (
        <p className="text-xs text-slate-700">A yes is confirmed by the customer through a link we send them; until then it does not count.</p>
      ) : null}
      <div className="flex gap-2">
        <SubmitButton pending={form.pending} pendingText="Recording…">
          Record answer
        </SubmitButton>
        <button type="button" onClick={onDone} className="rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-semibold text-slate-800 hover:bg-slate-50">
          Close
        </button>
      </div>
    </form>
  );
}

/** "Stop all marketing" (B13) and a revocation in any words (TCPA): both recordable at once, no check needed. */
function StopForms({ call }: { call: InCall }) {
  const objection = useActionForm(objectionAction);
  const revocation = useActionForm(revocationAction, { resetOnSuccess: true });
  return (
    <div className="grid gap-4 border-t border-slate-200 pt-4 md:grid-cols-2">
      <form
        {...objection.formProps}
        aria-label="Stop all marketing"
        className="space-y-2"
        onSubmit={(event) => {
          if (!window.confirm("Record an objection to all marketing? Every marketing purpose stops on every channel.")) {
            event.preventDefault();
            return;
          }
          objection.formProps.onSubmit(event);
        }}
      >
        <CallFields {...call} />
        <p className="text-sm text-slate-700">The customer objects to direct marketing: every marketing purpose stops on every channel. No reason is needed.</p>
        <FormMessage error={objection.formError} success={objection.data?.message} />
        <SubmitButton pending={objection.pending} variant="danger" pendingText="Recording…">
          Stop all marketing
        </SubmitButton>
      </form>
      <form {...revocation.formProps} aria-label="Stop calls or texts" className="space-y-2">
        <CallFields {...call} />
        <FormMessage error={revocation.formError} success={revocation.data?.message} />
        <TextArea label="The customer asked us to stop (their words)" name="customerWords" rows={2} error={revocation.fieldErrors.customerWords} hint='Any words count: "don’t call me again", "stop texting me", "cancel".' />
        <fieldset>
          <legend className="mb-1 text-sm font-medium text-slate-800">Stop</legend>
          <div className="flex gap-4 text-sm">
            <label className="inline-flex items-center gap-2">
              <input type="checkbox" name="channels[]" value="phone" defaultChecked className="size-4" /> Calls
            </label>
            <label className="inline-flex items-center gap-2">
              <input type="checkbox" name="channels[]" value="sms" defaultChecked className="size-4" /> Texts
            </label>
          </div>
          {revocation.fieldErrors.channels ? <p className="mt-1 text-sm font-medium text-red-700">{revocation.fieldErrors.channels}</p> : null}
        </fieldset>
        <SubmitButton pending={revocation.pending} variant="secondary" pendingText="Recording…">
          Record revocation
        </SubmitButton>
      </form>
    </div>
  );
}

/**
 * The consent grid: each purpose × channel with its state now, since when, until when and a prompt.
 * During a call the agent records answers here, one purpose and one channel at a time (A2, A3).
 */
export function ConsentPanel({ panel, call, recordingRef, canGrant, doubleOptIn }: { panel: PanelData; call: InCall | null; recordingRef: string | null; canGrant: boolean; doubleOptIn: boolean }) {
  const [asking, setAsking] = useState<{ purpose: string; channel: Channel } | null>(null);
  const channels = (Object.keys(CHANNEL_LABELS) as Channel[]).filter((c) => panel.purposes.some((p) => p.cells.some((cell) => cell.channel === c)));
  const askingPurpose = asking ? panel.purposes.find((p) => p.key === asking.purpose) : undefined;
  if (panel.purposes.length === 0) return <p className="text-sm text-slate-700">This tenant has no purposes yet.</p>;
  return (
    <div className="space-y-4">
      <div className="overflow-x-auto">
        <table className="min-w-full text-left text-sm">
          <caption className="sr-only">Consent by purpose and channel</caption>
          <thead className="border-b border-slate-200 text-xs uppercase text-slate-700">
            <tr>
              <th scope="col" className="px-3 py-2">
                Purpose
              </th>
              {channels.map((c) => (
                <th key={c} scope="col" className="px-3 py-2">
                  {CHANNEL_LABELS[c]}
                </th>
              ))}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {panel.purposes.map((purpose) => (
              <tr key={purpose.key}>
                <th scope="row" className="px-3 py-2 align-top font-medium">
                  {purpose.name}
                  {purpose.specialCategory ? (
                    <span className="ml-1">
                      <Badge tone="warn">explicit</Badge>
                    </span>
                  ) : null}
                </th>
                {channels.map((channel) => {
                  const cell = purpose.cells.find((c) => c.channel === channel);
                  return cell ? (
                    <Cell key={channel} cell={cell} purpose={purpose} call={call} onAsk={() => setAsking({ purpose: purpose.key, channel })} />
                  ) : (
                    <td key={channel} className="px-3 py-2 align-top text-slate-600">
                      <span aria-label="not used">—</span>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {call && asking && askingPurpose ? (
        <CaptureForm
          key={`${asking.purpose}:${asking.channel}`}
          call={call}
          purpose={askingPurpose}
          channel={asking.channel}
          recordingRef={recordingRef}
          canGrant={canGrant}
          doubleOptIn={doubleOptIn}
          onDone={() => setAsking(null)}
        />
      ) : null}
      {call ? <StopForms call={call} /> : <p className="text-xs text-slate-700">Start a call to record the customer&apos;s answers.</p>}
    </div>
  );
}
