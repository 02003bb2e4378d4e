"use client";

import { useEffect, useState } from "react";
import { SubmitButton } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { useActionForm } from "@/components/ui/use-action-form";
import type { PaymentMethodView } from "@/lib/payments/payment-methods";
import {
  addBankAccountAction,
  addCardAction,
  billingAddressAction,
  pauseRecordingAction,
  removePaymentMethodAction,
  resumeRecordingAction,
  setDefaultPaymentMethodAction,
} from "./payment-actions";

type InCall = { interactionId: string; customerId: string };
type Recording = { recorded: boolean; pausedSince: string | null };

function CallFields({ interactionId, customerId }: InCall) {
  return (
    <>
      <input type="hidden" name="interactionId" value={interactionId} />
      <input type="hidden" name="customerId" value={customerId} />
    </>
  );
}

/** Payment methods during a call, for a strongly verified caller (the page shows this only then). */
export function PaymentPanel(props: InCall & { methods: PaymentMethodView[]; recording: Recording }) {
  const { methods, recording, ...call } = props;
  const cardAllowed = !recording.recorded || recording.pausedSince !== null;
  return (
    <div className="space-y-5">
      <RecordingControls {...call} recording={recording} />
      <MethodList {...call} methods={methods} />
      <div className="grid gap-5 lg:grid-cols-2">
        <AddCardForm {...call} allowed={cardAllowed} />
        <AddBankAccountForm {...call} />
      </div>
    </div>
  );
}

function RecordingControls({ recording, ...call }: InCall & { recording: Recording }) {
  const pause = useActionForm(pauseRecordingAction);
  const resume = useActionForm(resumeRecordingAction);
  const since = recording.pausedSince ? new Date(recording.pausedSince).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : null;
  if (!recording.recorded) return <p className="text-sm text-slate-700">This call is not recorded: card details can be taken without pausing.</p>;
  return (
    <div className="space-y-2" aria-live="polite">
      <div className="flex flex-wrap items-center gap-3">
        <p className="text-sm font-medium" id="recording-state">
          {since ? `Recording paused since ${since}` : "Recording on"}
        </p>
        {since ? (
          <form {...resume.formProps} aria-label="Resume recording">
            <CallFields {...call} />
            <SubmitButton pending={resume.pending} variant="secondary" pendingText="Resuming…">
              Resume recording
            </SubmitButton>
          </form>
        ) : (
          <form {...pause.formProps} aria-label="Pause recording">
            <CallFields {...call} />
            <input type="hidden" name="reason" value="Taking card details" />
            <SubmitButton pending={pause.pending} variant="secondary" pendingText="Pausing…">
              Pause recording
            </SubmitButton>
          </form>
        )}
      </div>
      <FormMessage error={pause.formError ?? resume.formError} success={pause.data?.message ?? resume.data?.message} />
    </div>
  );
}

function MethodList({ methods, ...call }: InCall & { methods: PaymentMethodView[] }) {
  const makeDefault = useActionForm(setDefaultPaymentMethodAction);
  const remove = useActionForm(removePaymentMethodAction);
  if (methods.length === 0) return <p className="text-sm text-slate-700">No payment method on file.</p>;
  return (
    <div className="space-y-2">
      <FormMessage error={makeDefault.formError ?? remove.formError} success={makeDefault.data?.message ?? remove.data?.message} />
      <ul className="divide-y divide-slate-200 rounded-md border border-slate-200" aria-label="Payment methods on file">
        {methods.map((m) => (
          <li key={m.id} className="space-y-2 px-3 py-2">
            <div className="flex flex-wrap items-center gap-3">
              <span className="font-medium">{m.label}</span>
              <span className="font-mono" aria-label={`ending ${m.last4}`}>
                •••• {m.last4}
              </span>
              {m.expiry ? <span className="text-sm text-slate-700">expires {m.expiry}</span> : null}
              {m.billingTown ? <span className="text-sm text-slate-700">billing: {m.billingTown}</span> : null}
              {m.isDefault ? <span className="rounded bg-green-100 px-2 text-xs font-semibold text-green-900">Default</span> : null}
              <span className="ml-auto flex gap-2">
                {m.isDefault ? null : (
                  <form {...makeDefault.formProps} aria-label={`Make ${m.label} ending ${m.last4} the default`}>
                    <CallFields {...call} />
                    <input type="hidden" name="paymentMethodId" value={m.id} />
                    <SubmitButton pending={makeDefault.pending} variant="secondary" pendingText="Saving…">
                      Set default
                    </SubmitButton>
                  </form>
                )}
                <form
                  {...remove.formProps}
                  aria-label={`Remove ${m.label} ending ${m.last4}`}
                  onSubmit={(event) => {
                    if (!window.confirm(`Remove the ${m.label} ending ${m.last4}? The customer will be told.`)) {
                      event.preventDefault();
                      return;
                    }
                    remove.formProps.onSubmit(event);
                  }}
                >
                  <CallFields {...call} />
                  <input type="hidden" name="paymentMethodId" value={m.id} />
                  <SubmitButton pending={remove.pending} variant="secondary" pendingText="Removing…">
                    Remove
                  </SubmitButton>
                </form>
              </span>
            </div>
            <details>
              <summary className="cursor-pointer text-sm text-brand-700">Change billing address</summary>
              <BillingAddressForm {...call} methodId={m.id} label={`${m.label} ending ${m.last4}`} />
            </details>
          </li>
        ))}
      </ul>
    </div>
  );
}

function BillingFields({ errors, required }: { errors: Record<string, string>; required: boolean }) {
  const suffix = required ? "" : " (optional)";
  return (
    <div className="grid gap-2 md:grid-cols-2">
      <TextField label={`Billing address line 1${suffix}`} name="billingLine1" autoComplete="off" error={errors.billingLine1} />
      <TextField label="Billing address line 2 (optional)" name="billingLine2" autoComplete="off" error={errors.billingLine2} />
      <TextField label={`Billing town or city${suffix}`} name="billingCity" autoComplete="off" error={errors.billingCity} />
      <TextField label="Billing region (optional)" name="billingRegion" autoComplete="off" error={errors.billingRegion} />
      <TextField label={`Billing postcode${suffix}`} name="billingPostcode" autoComplete="off" error={errors.billingPostcode} />
      <TextField label="Billing country code (optional)" name="billingCountry" autoComplete="off" maxLength={2} hint="Two letters, e.g. GB; the customer's country if empty" error={errors.billingCountry} />
    </div>
  );
}

function BillingAddressForm({ methodId, label, ...call }: InCall & { methodId: string; label: string }) {
  const form = useActionForm(billingAddressAction, { resetOnSuccess: true });
  return (
    <form {...form.formProps} className="mt-2 space-y-2" aria-label={`Billing address of ${label}`}>
      <CallFields {...call} />
      <input type="hidden" name="paymentMethodId" value={methodId} />
      <FormMessage error={form.formError} success={form.data?.message} />
      <BillingFields errors={form.fieldErrors} required />
      <SubmitButton pending={form.pending} variant="secondary" pendingText="Saving…">
        Save billing address
      </SubmitButton>
    </form>
  );
}

/**
 * The card form. The number and security code are cleared after every answer, success or refusal,
 * so that a refused submission never shows them again; the browser is told not to remember them.
 */
function AddCardForm({ allowed, ...call }: InCall & { allowed: boolean }) {
  const form = useActionForm(addCardAction, { resetOnSuccess: true });
  const { ref } = form.formProps;
  useEffect(() => {
    if (!form.state) return;
    for (const name of ["cardNumber", "securityCode"]) {
      const input = ref.current?.elements.namedItem(name);
      if (input instanceof HTMLInputElement) input.value = "";
    }
  }, [form.state, ref]);
  return (
    <form {...form.formProps} className="space-y-2" aria-label="Add a card" autoComplete="off">
      <h3 className="font-semibold">Add a card</h3>
      <CallFields {...call} />
      {allowed ? null : (
        <p className="text-sm font-medium text-amber-800" role="note">
          Pause the recording before the customer reads out card details.
        </p>
      )}
      <FormMessage error={form.formError} success={form.data?.message} />
      <fieldset disabled={!allowed} className="space-y-2">
        <TextField label="Card number" name="cardNumber" inputMode="numeric" autoComplete="off" spellCheck={false} error={form.fieldErrors.cardNumber} />
        <div className="grid grid-cols-2 gap-2">
          <TextField label="Expiry (MM/YY)" name="expiry" inputMode="numeric" autoComplete="off" placeholder="MM/YY" error={form.fieldErrors.expiry} />
          <TextField label="Security code" name="securityCode" type="password" inputMode="numeric" autoComplete="off" hint="Used once to check the card, never kept" error={form.fieldErrors.securityCode} />
        </div>
        <TextField label="Name on card (optional)" name="holderName" autoComplete="off" error={form.fieldErrors.holderName} />
        <details>
          <summary className="cursor-pointer text-sm text-brand-700">Billing address (optional)</summary>
          <BillingFields errors={form.fieldErrors} required={false} />
        </details>
        <SubmitButton pending={form.pending} pendingText="Saving…">
          Save card
        </SubmitButton>
      </fieldset>
    </form>
  );
}

function AddBankAccountForm(call: InCall) {
  const form = useActionForm(addBankAccountAction, { resetOnSuccess: true });
  const [scheme, setScheme] = useState("iban");
  return (
    <form {...form.formProps} className="space-y-2" aria-label="Add a bank account" autoComplete="off">
      <h3 className="font-semibold">Add a bank account</h3>
      <CallFields {...call} />
      <FormMessage error={form.formError} success={form.data?.message} />
      <SelectField
        label="Account type"
        name="scheme"
        value={scheme}
        onChange={(e) => setScheme(e.target.value)}
        options={[
          { value: "iban", label: "IBAN" },
          { value: "us_ach", label: "US account (routing + account number)" },
        ]}
        error={form.fieldErrors.scheme}
      />
      {scheme === "iban" ? (
        <TextField label="IBAN" name="iban" autoComplete="off" spellCheck={false} error={form.fieldErrors.iban} />
      ) : (
        <div className="grid grid-cols-2 gap-2">
          <TextField label="Routing number" name="routingNumber" inputMode="numeric" autoComplete="off" error={form.fieldErrors.routingNumber} />
          <TextField label="Account number" name="accountNumber" inputMode="numeric" autoComplete="off" error={form.fieldErrors.accountNumber} />
        </div>
      )}
      <TextField label="Account holder (optional)" name="holderName" autoComplete="off" error={form.fieldErrors.holderName} />
      <SubmitButton pending={form.pending} variant="secondary" pendingText="Saving…">
        Save bank account
      </SubmitButton>
    </form>
  );
}
