import type { Metadata } from "next";
import { disputeRequest } from "@/lib/consent/disputes";
import { openLink } from "../../link-action";
import { UnusableLink } from "../../unusable-link";
import { LinkActionForm } from "../../link-action-form";
import { reportDisputeAction } from "./actions";

export const metadata: Metadata = { title: "This wasn't me" };

const utc = (at: Date) => `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;

export default async function DisputeConsentPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const { view, problem } = await openLink((db) => disputeRequest(db, token));
  if (!view) return <UnusableLink problem={problem} />;
  return (
    <>
      <p className="text-sm font-semibold uppercase tracking-wide text-brand-700">{view.tenantName}</p>
      <h1 className="mt-1 text-2xl font-bold text-slate-900">Was this you?</h1>
      <p className="mt-3 text-slate-800">During a call on {utc(view.callStartedAt)}, {view.tenantName} recorded these choices in your name:</p>
      {view.decisions.length > 0 ? (
        <ul className="mt-3 list-disc space-y-1 pl-5 text-sm text-slate-900">
          {view.decisions.map((d, i) => (
            <li key={i}>
              <span className="text-slate-600">{utc(d.at)}:</span> {d.words}
            </li>
          ))}
        </ul>
      ) : (
        <p className="mt-3 text-sm text-slate-700">No consent choices are recorded for this call.</p>
      )}
      {view.alreadyReported ? (
        <p role="status" className="mt-6 rounded-md border border-green-300 bg-green-50 px-3 py-2 text-sm text-green-900">
          You have already reported this call. A supervisor is reviewing it.
        </p>
      ) : (
        <div className="mt-6 space-y-4">
          <p className="text-slate-800">
            If you did not make these choices, report it: they will stop counting at once, and a supervisor at {view.tenantName} will review the call. Choices
            you made later are not affected.
          </p>
          <LinkActionForm action={reportDisputeAction} token={token} label="This wasn't me" pendingText="Reporting…" variant="danger" />
        </div>
      )}
    </>
  );
}
