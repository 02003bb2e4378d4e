"use client";

import { useId, type ReactNode } from "react";
import { SubmitButton, type ButtonVariant } from "@/components/ui/button";
import { SelectField, TextArea, TextField } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { useActionForm } from "@/components/ui/use-action-form";
import type { ActionResult } from "@/lib/action";

type StepAction = (state: ActionResult<{ message: string }> | null, form: FormData) => Promise<ActionResult<{ message: string }>>;

export type StepField =
  | { kind: "text"; name: string; label: string; hint?: string; rows?: number }
  | { kind: "select"; name: string; label: string; options: { value: string; label: string }[]; placeholder?: string; defaultValue?: string }
  | { kind: "date"; name: string; label: string; hint?: string; defaultValue: string; min?: string; max?: string }
  | { kind: "checkbox"; name: string; label: string };

/**
 * One step of a request (assign, confirm identity, extend, refuse, release…): the request's id and
 * version go with every step, so that a step based on a stale page is refused by the server.
 */
export function StepForm({
  action,
  requestId,
  version,
  label,
  submit,
  pendingText,
  fields = [],
  variant = "primary",
  intro,
}: {
  action: StepAction;
  requestId: string;
  version: number;
  label: string;
  submit: string;
  pendingText: string;
  fields?: StepField[];
  variant?: ButtonVariant;
  intro?: ReactNode;
}) {
  const form = useActionForm(action);
  const formId = useId();
  const e = form.fieldErrors;
  return (
    <form {...form.formProps} aria-label={label} className="space-y-3">
      <FormMessage error={form.formError} success={form.data?.message} />
      {intro}
      <input type="hidden" name="requestId" value={requestId} />
      <input type="hidden" name="version" value={version} />
      {fields.map((f) =>
        f.kind === "text" ? (
          <TextArea key={f.name} name={f.name} label={f.label} hint={f.hint} rows={f.rows ?? 2} error={e[f.name]} />
        ) : f.kind === "date" ? (
          <TextField key={`${f.name}:${f.defaultValue}`} type="date" name={f.name} label={f.label} hint={f.hint} defaultValue={f.defaultValue} min={f.min} max={f.max} error={e[f.name]} className="max-w-xs" />
        ) : f.kind === "select" ? (
          // Keyed by its default too: after a step the page shows the request as it now is (an uncontrolled
          // select would keep its first value, and Assign would then undo the assignment a build made).
          <SelectField key={`${f.name}:${f.defaultValue ?? ""}`} name={f.name} label={f.label} options={f.options} placeholder={f.placeholder} defaultValue={f.defaultValue} error={e[f.name]} className="max-w-md" />
        ) : (
          <div key={f.name}>
            <label className="inline-flex items-start gap-2 text-sm">
              <input type="checkbox" name={f.name} className="mt-0.5 size-4 shrink-0" aria-invalid={e[f.name] ? true : undefined} aria-describedby={e[f.name] ? `${formId}-${f.name}-error` : undefined} />
              <span>{f.label}</span>
            </label>
            {e[f.name] ? (
              <p id={`${formId}-${f.name}-error`} className="mt-1 text-sm font-medium text-red-700">
                {e[f.name]}
              </p>
            ) : null}
          </div>
        ),
      )}
      <SubmitButton variant={variant} pending={form.pending} pendingText={pendingText}>
        {submit}
      </SubmitButton>
    </form>
  );
}
