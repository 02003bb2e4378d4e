"use client";

import { useState } from "react";
import { SubmitButton } from "@/components/ui/button";
import { Badge } from "@/components/ui/card";
import { SelectField, TextField } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { useActionForm } from "@/components/ui/use-action-form";
import type { VerificationState } from "@/lib/identity/verification";
import { checkCodeAction, checkKnowledgeAction, sendCodeAction } from "./actions";

const LEVEL_TONES = { none: "warn", basic: "info", strong: "good" } as const;
const LEVEL_WORDS = { none: "Not verified", basic: "Basic", strong: "Strong" } as const;
const OUTCOME_WORDS: Record<string, string> = { match: "match", no_match: "no match", pending: "waiting", expired: "expired" };

const time = (d: Date | string) => new Date(d).toISOString().slice(11, 16) + " UTC";
const dateTime = (d: Date | string) => new Date(d).toISOString().replace("T", " ").slice(0, 16) + " UTC";

/** Said wherever the desk shows a customer whose verification is locked (the panel, the call card). */
export function VerificationLockedNotice({ until }: { until: Date | string }) {
  return (
    <div role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">
      <p className="font-semibold">
        Verification locked for this customer until{" "}
        <time dateTime={new Date(until).toISOString()}>{dateTime(until)}</time>
      </p>
      <p>
        Three verification attempts failed within 24 hours, in one call or several, and a supervisor has been alerted.
        It lifts at that time, or when the supervisor closes the alert. Do not make changes or read out personal data;
        offer to call the customer back on the number on file.
      </p>
    </div>
  );
}

/**
 * Verify the caller inside the call: a code to a contact point on file, and knowledge checks. The
 * agent types what the caller says; the answer is only ever match or no match.
 */
export function VerificationPanel({ interactionId, state }: { interactionId: string; state: VerificationState }) {
  const send = useActionForm(sendCodeAction);
  const code = useActionForm(checkCodeAction, { resetOnSuccess: true });
  const knowledge = useActionForm(checkKnowledgeAction, { resetOnSuccess: true });
  const firstCheck = state.availableChecks[0]?.kind ?? "";
  const [kind, setKind] = useState(firstCheck);
  const prompt = state.availableChecks.find((c) => c.kind === kind)?.prompt;

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-3 text-sm">
        <span className="font-medium">Caller verification:</span>
        <Badge tone={state.locked ? "bad" : LEVEL_TONES[state.level]}>{state.locked ? "Locked" : LEVEL_WORDS[state.level]}</Badge>
        {state.validUntil ? <span className="text-slate-700">valid until {time(state.validUntil)}</span> : null}
        {!state.locked ? (
          <span className="text-slate-700">attempts left: {state.attemptsLeft} (in 24 hours, across calls)</span>
        ) : null}
      </div>

      {state.lockedUntil ? (
        <VerificationLockedNotice until={state.lockedUntil} />
      ) : (
        <>
          <form {...send.formProps} className="space-y-2" aria-label="Send a one-time code">
            <input type="hidden" name="interactionId" value={interactionId} />
            <FormMessage error={send.formError ?? send.fieldErrors.channel} success={send.data?.message} />
            <div className="flex flex-wrap gap-2">
              {state.codeDestinations.length === 0 ? <p className="text-sm text-slate-700">No phone or email on file: use knowledge checks.</p> : null}
              {state.codeDestinations.map((d) => (
                <SubmitButton key={d.channel} pending={send.pending} variant="secondary" name="channel" value={d.channel} pendingText="Sending…">
                  Send code by {d.channel === "sms" ? "SMS" : "email"} to {d.to}
                </SubmitButton>
              ))}
            </div>
          </form>

          {state.codePending ? (
            <form {...code.formProps} className="flex flex-wrap items-end gap-2" aria-label="Check the code">
              <input type="hidden" name="interactionId" value={interactionId} />
              <TextField label="Code the caller reads out" name="code" inputMode="numeric" autoComplete="one-time-code" maxLength={7} error={code.fieldErrors.code} className="w-56" />
              <SubmitButton pending={code.pending} pendingText="Checking…">
                Check code
              </SubmitButton>
            </form>
          ) : null}
          <FormMessage error={code.formError ?? (code.data && !code.data.match ? code.data.message : undefined)} success={code.data?.match ? code.data.message : undefined} />

          {state.availableChecks.length > 0 ? (
            <form {...knowledge.formProps} onReset={() => setKind(firstCheck)} className="space-y-2" aria-label="Knowledge check">
              <input type="hidden" name="interactionId" value={interactionId} />
              <div className="grid gap-2 sm:grid-cols-[14rem_1fr_auto] sm:items-end">
                <SelectField label="Check" name="kind" defaultValue={firstCheck} onChange={(e) => setKind(e.target.value as typeof kind)} options={state.availableChecks.map((c) => ({ value: c.kind, label: c.label }))} error={knowledge.fieldErrors.kind} />
                <TextField label="Caller's answer" name="answer" autoComplete="off" error={knowledge.fieldErrors.answer} hint={prompt ? `Ask: “${prompt}”` : undefined} />
                <SubmitButton pending={knowledge.pending} pendingText="Checking…">
                  Check answer
                </SubmitButton>
              </div>
            </form>
          ) : null}
          <FormMessage error={knowledge.formError ?? (knowledge.data && !knowledge.data.match ? knowledge.data.message : undefined)} success={knowledge.data?.match ? knowledge.data.message : undefined} />
        </>
      )}

      {state.factors.length > 0 ? (
        <ul className="text-xs text-slate-700" aria-label="Factors asked in this call">
          {state.factors.map((f, i) => (
            <li key={i}>
              {time(f.at)} · {f.label}
              {f.destination ? ` to ${f.destination}` : ""} · {OUTCOME_WORDS[f.outcome]}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
