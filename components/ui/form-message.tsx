import type { ReactNode } from "react";

/**
 * The form-level answer of an action. Errors use role="alert" so screen readers announce them at
 * once; confirmations use role="status".
 */
export function FormMessage({ error, success }: { error?: string | null; success?: ReactNode }) {
  if (error) {
    return (
      <div role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm font-medium text-red-800">
        {error}
      </div>
    );
  }
  if (success) {
    return (
      <div role="status" className="rounded-md border border-green-300 bg-green-50 px-3 py-2 text-sm text-green-900">
        {success}
      </div>
    );
  }
  return null;
}
