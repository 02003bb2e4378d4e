import type { Metadata } from "next";
import { confirmationRequest } from "@/lib/consent/confirmation";
import { openLink } from "../../link-action";
import { UnusableLink } from "../../unusable-link";
import { LinkActionForm } from "../../link-action-form";
import { confirmConsentAction } from "./actions";

export const metadata: Metadata = { title: "Confirm your consent" };

export default async function ConfirmConsentPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const { view, problem } = await openLink((db) => confirmationRequest(db, token));
  if (!view) return <UnusableLink problem={problem} />;
  return (
    <>
      <p className="text-sm font-semibold uppercase tracking-wide text-brand-700">{view.tenantName}</p>
      <h1 className="mt-1 text-2xl font-bold text-slate-900">Confirm your consent</h1>
      <dl className="mt-4 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="font-medium text-slate-700">Organisation</dt>
        <dd>{view.tenantName}</dd>
        <dt className="font-medium text-slate-700">Purpose</dt>
        <dd>{view.purposeName}</dd>
        <dt className="font-medium text-slate-700">Contact by</dt>
        <dd>{view.channelWords}</dd>
      </dl>
      {view.state === "pending" ? (
        <div className="mt-6 space-y-4">
          <p className="text-slate-800">
            Press “Confirm” to agree that {view.tenantName} may use your details for {view.purposeName} by {view.channelWords}. If you did not ask for this,
            close this page: nothing changes unless you confirm. You can withdraw at any time.
          </p>
          <LinkActionForm action={confirmConsentAction} token={token} label="Confirm" pendingText="Confirming…" />
        </div>
      ) : view.state === "confirmed" ? (
        <p role="status" className="mt-6 rounded-md border border-green-300 bg-green-50 px-3 py-2 text-sm text-green-900">
          You have already confirmed this. Nothing more to do.
        </p>
      ) : (
        <p role="alert" className="mt-6 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          This request can no longer be confirmed: a later choice replaced it (for example a withdrawal). Nothing was changed.
        </p>
      )}
    </>
  );
}
