"use client";

import { SubmitButton } from "@/components/ui/button";
import { TextField } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { useActionForm } from "@/components/ui/use-action-form";
import { passwordResetAction, resetMfaAction, securityQuestionAction } from "./actions";

type InCall = { interactionId: string; customerId: string };

function CallFields({ interactionId, customerId }: InCall) {
  return (
    <>
      <input type="hidden" name="interactionId" value={interactionId} />
      <input type="hidden" name="customerId" value={customerId} />
    </>
  );
}

/** Security settings the agent can change but never see: each needs strong verification. */
export function SecurityPanel(props: InCall & { currentQuestion: string | null }) {
  const reset = useActionForm(passwordResetAction);
  const mfa = useActionForm(resetMfaAction);
  const question = useActionForm(securityQuestionAction, { resetOnSuccess: true });
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap gap-2">
        <form {...reset.formProps} aria-label="Password reset">
          <CallFields {...props} />
          <SubmitButton pending={reset.pending} variant="secondary" pendingText="Sending…">
            Send password-reset link
          </SubmitButton>
        </form>
        <form
          {...mfa.formProps}
          aria-label="Two-step verification reset"
          onSubmit={(event) => {
            if (!window.confirm("Reset the customer's two-step verification? They will enrol again at their next sign-in.")) {
              event.preventDefault();
              return;
            }
            mfa.formProps.onSubmit(event);
          }}
        >
          <CallFields {...props} />
          <SubmitButton pending={mfa.pending} variant="secondary" pendingText="Resetting…">
            Reset two-step verification
          </SubmitButton>
        </form>
      </div>
      <FormMessage error={reset.formError ?? mfa.formError} success={reset.data?.message ?? mfa.data?.message} />

      <form {...question.formProps} className="space-y-2" aria-label="Security question">
        <CallFields {...props} />
        <FormMessage error={question.formError} success={question.data?.message} />
        <p className="text-xs text-slate-700">
          {props.currentQuestion ? `Current question: “${props.currentQuestion}”. ` : "No security question is set. "}
          Prefer a question whose answer is not public; it is stored only as a hash.
        </p>
        <div className="grid gap-2 md:grid-cols-[1fr_1fr_auto] md:items-end">
          <TextField label="New security question" name="question" autoComplete="off" error={question.fieldErrors.question} />
          <TextField label="Caller's answer" name="answer" type="password" autoComplete="off" error={question.fieldErrors.answer} />
          <SubmitButton pending={question.pending} variant="secondary" pendingText="Saving…">
            Set question
          </SubmitButton>
        </div>
      </form>
    </div>
  );
}
