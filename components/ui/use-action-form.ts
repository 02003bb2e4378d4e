"use client";

import { useActionState, useEffect, useRef, startTransition, type FormEvent } from "react";
import type { ActionResult } from "@/lib/action";

type Action<T> = (state: ActionResult<T> | null, form: FormData) => Promise<ActionResult<T>>;

/**
 * Runs a server action from a form and exposes its answer per field. Unlike `<form action>`, a
 * refused submission keeps everything the person typed (React would otherwise reset the form);
 * `resetOnSuccess` clears a create form once it has worked.
 */
export function useActionForm<T>(action: Action<T>, { resetOnSuccess = false } = {}) {
  const [state, dispatch, pending] = useActionState(action, null);
  const ref = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (resetOnSuccess && state?.ok) ref.current?.reset();
  }, [state, resetOnSuccess]);
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (pending) return;
    // The button pressed may carry a value of its own (name/value on the submit button).
    const data = new FormData(event.currentTarget, (event.nativeEvent as SubmitEvent).submitter);
    startTransition(() => dispatch(data));
  };
  return {
    state,
    pending,
    formProps: { ref, onSubmit, noValidate: true },
    fieldErrors: state && !state.ok ? (state.fieldErrors ?? {}) : {},
    formError: state && !state.ok ? state.formError : undefined,
    data: state?.ok ? state.data : undefined,
  };
}
