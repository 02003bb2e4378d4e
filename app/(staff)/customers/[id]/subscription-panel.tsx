"use client";

import { useId, useState, type FormEvent } from "react";
import { SubmitButton } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { useActionForm } from "@/components/ui/use-action-form";
import type { SubscriptionPanelData } from "@/lib/subscriptions/panel";
import {
  addAddOnAction,
  cancelSubscriptionAction,
  changePlanAction,
  pauseSubscriptionAction,
  removeAddOnAction,
  resumeSubscriptionAction,
  switchCycleAction,
} from "./subscription-actions";

type InCall = { interactionId: string; customerId: string };
type Current = NonNullable<SubscriptionPanelData["subscription"]>;

/** The fields every change carries: the call, and the subscription's version the agent is looking at. */
function ChangeFields({ call, subscription }: { call: InCall; subscription: Current }) {
  return (
    <>
      <input type="hidden" name="interactionId" value={call.interactionId} />
      <input type="hidden" name="customerId" value={call.customerId} />
      <input type="hidden" name="subscriptionId" value={subscription.id} />
      <input type="hidden" name="version" value={subscription.version} />
    </>
  );
}

/** Asks the agent to confirm with the customer before a change that costs or ends something. */
function confirmFirst(question: string, submit: (event: FormEvent<HTMLFormElement>) => void) {
  return (event: FormEvent<HTMLFormElement>) => {
    if (!window.confirm(question)) {
      event.preventDefault();
      return;
    }
    submit(event);
  };
}

function PlanForm({ call, subscription, choices }: { call: InCall; subscription: Current; choices: SubscriptionPanelData["planChoices"] }) {
  const form = useActionForm(changePlanAction);
  const [planKey, setPlanKey] = useState("");
  const chosen = choices.find((c) => c.key === planKey);
  if (choices.length === 0) return null;
  return (
    <form {...form.formProps} onSubmit={confirmFirst(`Change the plan? ${chosen?.effect ?? ""}`, form.formProps.onSubmit)} className="space-y-2" aria-label="Change plan">
      <ChangeFields call={call} subscription={subscription} />
      <FormMessage error={form.formError} success={form.data?.message} />
      <div className="grid gap-2 md:grid-cols-[1fr_auto] md:items-end">
        <SelectField
          label="New plan"
          name="planKey"
          value={planKey}
          onChange={(event) => setPlanKey(event.target.value)}
          placeholder="Choose a plan…"
          options={choices.map((c) => ({ value: c.key, label: c.label }))}
          error={form.fieldErrors.planKey}
          hint={<span aria-live="polite">{chosen ? chosen.effect : "An upgrade applies now, paying the difference for the rest of the period; a downgrade applies at the end of the period."}</span>}
        />
        <SubmitButton pending={form.pending} variant="secondary" pendingText="Changing…">
          Change plan
        </SubmitButton>
      </div>
    </form>
  );
}

function CycleForm({ call, subscription, cycleSwitch }: { call: InCall; subscription: Current; cycleSwitch: NonNullable<SubscriptionPanelData["cycleSwitch"]> }) {
  const form = useActionForm(switchCycleAction);
  const hintId = useId();
  return (
    <form {...form.formProps} className="space-y-2" aria-label="Billing cycle">
      <ChangeFields call={call} subscription={subscription} />
      <input type="hidden" name="cycle" value={cycleSwitch.to} />
      <FormMessage error={form.formError ?? form.fieldErrors.cycle} success={form.data?.message} />
      <p id={hintId} className="text-xs text-slate-700">
        {cycleSwitch.effect}
      </p>
      <SubmitButton pending={form.pending} variant="secondary" pendingText="Switching…" aria-describedby={hintId}>
        {cycleSwitch.withdraws ? `Keep ${cycleSwitch.to} billing` : `Switch to ${cycleSwitch.to} billing`}
      </SubmitButton>
    </form>
  );
}

function AddOnForms({ call, subscription, choices }: { call: InCall; subscription: Current; choices: SubscriptionPanelData["addOnChoices"] }) {
  const add = useActionForm(addAddOnAction);
  const remove = useActionForm(removeAddOnAction);
  const [addKey, setAddKey] = useState("");
  const chosen = choices.find((c) => c.key === addKey);
  return (
    <div className="grid gap-4 md:grid-cols-2">
      {choices.length ? (
        <form {...add.formProps} className="space-y-2" aria-label="Add an add-on">
          <ChangeFields call={call} subscription={subscription} />
          <FormMessage error={add.formError} success={add.data?.message} />
          <SelectField
            label="Add-on to add"
            name="addOnKey"
            value={addKey}
            onChange={(event) => setAddKey(event.target.value)}
            placeholder="Choose an add-on…"
            options={choices.map((c) => ({ value: c.key, label: c.label }))}
            error={add.fieldErrors.addOnKey}
            hint={<span aria-live="polite">{chosen ? chosen.effect : "Applies now, paid for the rest of the period."}</span>}
          />
          <SubmitButton pending={add.pending} variant="secondary" pendingText="Adding…">
            Add
          </SubmitButton>
        </form>
      ) : null}
      {subscription.addOns.length ? (
        <form {...remove.formProps} className="space-y-2" aria-label="Remove an add-on">
          <ChangeFields call={call} subscription={subscription} />
          <FormMessage error={remove.formError} success={remove.data?.message} />
          <SelectField
            label="Add-on to remove"
            name="addOnKey"
            placeholder="Choose an add-on…"
            options={subscription.addOns.map((a) => ({ value: a.key, label: `${a.name} (${a.price})` }))}
            error={remove.fieldErrors.addOnKey}
            hint="Removed now; the unused part of the period is credited."
          />
          <SubmitButton pending={remove.pending} variant="secondary" pendingText="Removing…">
            Remove
          </SubmitButton>
        </form>
      ) : null}
    </div>
  );
}

function PauseForm({ call, subscription }: { call: InCall; subscription: Current }) {
  const form = useActionForm(pauseSubscriptionAction, { resetOnSuccess: true });
  return (
    <form {...form.formProps} className="space-y-2" aria-label="Pause subscription">
      <ChangeFields call={call} subscription={subscription} />
      <FormMessage error={form.formError} success={form.data?.message} />
      <div className="grid gap-2 md:grid-cols-[1fr_auto] md:items-end">
        <TextField label="Reason for the pause" name="reason" autoComplete="off" error={form.fieldErrors.reason} hint="Applies now; the unused part of the period is credited." />
        <SubmitButton pending={form.pending} variant="secondary" pendingText="Pausing…">
          Pause
        </SubmitButton>
      </div>
    </form>
  );
}

function ResumeForm({ call, subscription, label, hint }: { call: InCall; subscription: Current; label: string; hint: string }) {
  const form = useActionForm(resumeSubscriptionAction);
  const hintId = useId();
  return (
    <form {...form.formProps} className="space-y-2" aria-label={label}>
      <ChangeFields call={call} subscription={subscription} />
      <FormMessage error={form.formError} success={form.data?.message} />
      <p id={hintId} className="text-xs text-slate-700">
        {hint}
      </p>
      <SubmitButton pending={form.pending} variant="secondary" pendingText="Working…" aria-describedby={hintId}>
        {label}
      </SubmitButton>
    </form>
  );
}

function CancelForm({ call, subscription }: { call: InCall; subscription: Current }) {
  const form = useActionForm(cancelSubscriptionAction, { resetOnSuccess: true });
  const whenId = useId();
  const whenError = form.fieldErrors.when;
  return (
    <form
      {...form.formProps}
      onSubmit={confirmFirst("Cancel the customer's subscription? Check the reason and when it takes effect with them first.", form.formProps.onSubmit)}
      className="space-y-2"
      aria-label="Cancel subscription"
    >
      <ChangeFields call={call} subscription={subscription} />
      <FormMessage error={form.formError} success={form.data?.message} />
      <TextField label="Reason for cancelling" name="reason" autoComplete="off" error={form.fieldErrors.reason} />
      <fieldset aria-describedby={whenError ? `${whenId}-error` : undefined}>
        <legend className="mb-1 text-sm font-medium text-slate-800">When it takes effect</legend>
        <div className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
          <label className="inline-flex items-center gap-2">
            <input type="radio" name="when" value="period_end" defaultChecked className="size-4" />
            At the end of the period ({subscription.periodEnd}), nothing credited
          </label>
          <label className="inline-flex items-center gap-2">
            <input type="radio" name="when" value="now" className="size-4" />
            Now, crediting the unused part of the period
          </label>
        </div>
        {whenError ? (
          <p id={`${whenId}-error`} className="mt-1 text-sm font-medium text-red-700">
            {whenError}
          </p>
        ) : null}
      </fieldset>
      <SubmitButton pending={form.pending} variant="danger" pendingText="Cancelling…">
        Cancel subscription
      </SubmitButton>
    </form>
  );
}

/**
 * The customer's subscription, always shown read-only; during a call with strong verification, the
 * changes the customer asks for. Each change says what it will do before it is confirmed, and the
 * customer is sent a confirmation of it.
 */
export function SubscriptionPanel({ data, call, canChange }: { data: SubscriptionPanelData; call: InCall | null; canChange: boolean }) {
  const s = data.subscription;
  if (!s) return <p className="text-sm text-slate-700">No subscription.</p>;
  const running = s.status === "active" && !s.cancelsAt;
  return (
    <div className="space-y-4">
      <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="font-medium">Plan</dt>
        <dd>{s.planName}</dd>
        <dt className="font-medium">Billing</dt>
        <dd>{s.cycle}</dd>
        <dt className="font-medium">Price</dt>
        <dd>{s.price}</dd>
        <dt className="font-medium">Add-ons</dt>
        <dd>{s.addOns.length ? s.addOns.map((a) => `${a.name} (${a.price})`).join(", ") : "None"}</dd>
        <dt className="font-medium">Status</dt>
        <dd>
          {s.status}
          {s.statusReason ? ` (${s.statusReason})` : ""}
        </dd>
        {s.status === "active" ? (
          <>
            <dt className="font-medium">Period ends</dt>
            <dd>{s.periodEnd}</dd>
          </>
        ) : null}
        {s.pending ? (
          <>
            <dt className="font-medium">Pending change</dt>
            <dd>{s.pending}</dd>
          </>
        ) : null}
        {s.cancelsAt ? (
          <>
            <dt className="font-medium">Ends on</dt>
            <dd>{s.cancelsAt}</dd>
          </>
        ) : null}
      </dl>

      {call && s.status !== "cancelled" ? (
        canChange ? (
          <div className="space-y-4 border-t border-slate-200 pt-4">
            {running ? (
              <>
                <PlanForm call={call} subscription={s} choices={data.planChoices} />
                {data.cycleSwitch ? <CycleForm call={call} subscription={s} cycleSwitch={data.cycleSwitch} /> : null}
                <AddOnForms call={call} subscription={s} choices={data.addOnChoices} />
                <PauseForm call={call} subscription={s} />
              </>
            ) : null}
            {s.status === "paused" ? <ResumeForm call={call} subscription={s} label="Resume subscription" hint="Starts a new period now, paid now." /> : null}
            {s.cancelsAt ? <ResumeForm call={call} subscription={s} label="Withdraw the cancellation" hint={`The subscription would otherwise end on ${s.cancelsAt}.`} /> : null}
            {!s.cancelsAt ? <CancelForm call={call} subscription={s} /> : null}
          </div>
        ) : (
          <p className="text-sm text-slate-700">Changes need strong verification: a one-time code plus a knowledge check.</p>
        )
      ) : null}
    </div>
  );
}
