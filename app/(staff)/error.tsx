"use client";

export default function StaffError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div role="alert" className="rounded-lg border border-red-300 bg-red-50 p-4">
      <h1 className="text-lg font-semibold text-red-900">Something went wrong</h1>
      <p className="mt-1 text-sm text-red-900">
        Nothing was saved by the step that failed. Try again; if it keeps happening, give your supervisor this reference:{" "}
        <code>{error.digest ?? "n/a"}</code>
      </p>
      <button type="button" onClick={reset} className="mt-3 rounded-md bg-red-700 px-3 py-1.5 text-sm font-semibold text-white">
        Try again
      </button>
    </div>
  );
}
