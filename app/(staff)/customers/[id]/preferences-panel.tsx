"use client";

import { SubmitButton } from "@/components/ui/button";
import { CheckboxGroup, SelectField } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { useActionForm } from "@/components/ui/use-action-form";
import type { PreferencesView } from "@/lib/preferences/preferences";
import { updatePreferencesAction } from "./preferences-actions";

type InCall = { interactionId: string; customerId: string };

const NOT_CONSENT = "Preferences choose what a consented channel carries; they never allow a channel without consent.";

/**
 * The customer's marketing topics and how often, beside the consent grid. Shown and changed only in a
 * call with a caller verified at basic level; the domain checks that again on every save.
 */
export function PreferencesPanel({ view, call, frequencies }: { view: PreferencesView; call: InCall | null; frequencies: { value: string; label: string }[] }) {
  return (
    <div className="space-y-3">
      <p className="rounded-md border border-sky-200 bg-sky-50 px-3 py-2 text-sm text-sky-950">{NOT_CONSENT}</p>
      {view.visible && call ? (
        <PreferencesForm view={view} call={call} frequencies={frequencies} />
      ) : (
        <p className="text-sm text-slate-700">Verify the caller to see and change preferences.</p>
      )}
    </div>
  );
}

function PreferencesForm({ view, call, frequencies }: { view: Extract<PreferencesView, { visible: true }>; call: InCall; frequencies: { value: string; label: string }[] }) {
  const form = useActionForm(updatePreferencesAction);
  const e = form.fieldErrors;
  return (
    <form {...form.formProps} className="space-y-3" aria-label="Marketing preferences">
      <FormMessage error={form.formError} success={form.data?.message} />
      <input type="hidden" name="interactionId" value={call.interactionId} />
      <input type="hidden" name="customerId" value={call.customerId} />
      <input type="hidden" name="version" value={view.version} />
      {/* Remounted when the saved version changes, so the boxes show what is stored now (also after a refused stale save). */}
      <div key={view.version} className="space-y-3">
        {view.topics.length ? (
          <CheckboxGroup
            legend="Topics the customer wants to hear about"
            name="topicKeys"
            options={view.topics.map((t) => ({ value: t.key, label: t.name }))}
            defaultValues={view.topics.filter((t) => t.chosen).map((t) => t.key)}
            error={e.topicKeys}
          />
        ) : (
          <p className="text-sm text-slate-700">This brand has no marketing topics yet.</p>
        )}
        {view.retiredTopicKeys.length ? (
          <p className="text-xs text-slate-700">No longer offered, and dropped when you save: {view.retiredTopicKeys.join(", ")}.</p>
        ) : null}
        <SelectField label="How often" name="frequency" options={frequencies} placeholder="Not set" defaultValue={view.frequency ?? ""} error={e.frequency} className="max-w-xs" />
      </div>
      <SubmitButton pending={form.pending} pendingText="Saving…">
        Save preferences
      </SubmitButton>
    </form>
  );
}
