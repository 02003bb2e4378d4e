"use client";

import type { ButtonHTMLAttributes } from "react";
import { useFormStatus } from "react-dom";

const variants = {
  primary: "bg-brand-600 text-white hover:bg-brand-700 disabled:bg-slate-400",
  secondary: "border border-slate-300 bg-white text-slate-800 hover:bg-slate-50 disabled:text-slate-400",
  danger: "bg-red-700 text-white hover:bg-red-800 disabled:bg-slate-400",
} as const;

export type ButtonVariant = keyof typeof variants;

export function buttonClass(variant: ButtonVariant = "primary") {
  return `inline-flex items-center justify-center gap-2 rounded-md px-4 py-2 text-sm font-semibold shadow-sm ${variants[variant]}`;
}

/**
 * A submit button that shows it is working and cannot be clicked twice while the form is pending.
 * `pending` comes from useActionForm; without it, the form's own status is used.
 */
export function SubmitButton({
  children,
  pendingText,
  variant = "primary",
  className = "",
  pending: pendingProp,
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { pendingText?: string; variant?: ButtonVariant; pending?: boolean }) {
  const status = useFormStatus();
  const pending = pendingProp ?? status.pending;
  return (
    <button type="submit" disabled={pending || rest.disabled} aria-disabled={pending || undefined} className={`${buttonClass(variant)} ${className}`} {...rest}>
      {pending ? (pendingText ?? "Working…") : children}
    </button>
  );
}
