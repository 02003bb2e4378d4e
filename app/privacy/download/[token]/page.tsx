import type { Metadata } from "next";
import { DownloadLinkError, packageDownloadView, type PackageDownloadView } from "@/lib/privacy-requests/access-package";
import { linkProblem, withinLinkLimits } from "../../../consent/link-action";
import { UnusableLink } from "../../../consent/unusable-link";

export const metadata: Metadata = { title: "Download your data" };
export const dynamic = "force-dynamic";

const when = (at: Date) =>
  `${at.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" })}, ${at.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: "UTC" })} UTC`;

const size = (bytes: number) => (bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`);

async function openDownload(token: string): Promise<{ view: PackageDownloadView; problem: null } | { view: null; problem: string }> {
  try {
    return { view: await withinLinkLimits((db) => packageDownloadView(db, token)), problem: null };
  } catch (error) {
    return { view: null, problem: error instanceof DownloadLinkError ? error.message : linkProblem(error) };
  }
}

/**
 * The page a customer's "your data is ready" link opens. Showing it counts nothing and reveals
 * nothing of the contents (a mail scanner may open it); only the Download button fetches the file.
 */
export default async function DownloadPackagePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const { view, problem } = await openDownload(token);
  if (!view) return <UnusableLink problem={problem} />;
  const what =
    view.kind === "access"
      ? `A copy of the personal data ${view.tenantName} holds about you, as you asked.`
      : `The data you gave ${view.tenantName} (your profile, preferences and consents), in a format you can take to another organisation, as you asked.`;
  return (
    <>
      <p className="text-sm font-semibold uppercase tracking-wide text-brand-700">{view.tenantName}</p>
      <h1 className="mt-1 text-2xl font-bold text-slate-900">Your data is ready to download</h1>
      <p className="mt-3 text-slate-800">{what}</p>
      <dl className="mt-4 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="font-medium text-slate-700">Organisation</dt>
        <dd>{view.tenantName}</dd>
        <dt className="font-medium text-slate-700">File</dt>
        <dd className="break-all">{view.fileName}</dd>
        <dt className="font-medium text-slate-700">What is in it</dt>
        <dd>
          A zip of {view.fileCount} files: each set of data as JSON (for computers) and CSV (opens in a spreadsheet), with a README that explains them. {size(view.sizeBytes)}.
        </dd>
        <dt className="font-medium text-slate-700">Prepared</dt>
        <dd>{when(view.builtAt)}</dd>
        <dt className="font-medium text-slate-700">Available until</dt>
        <dd>{when(view.expiresAt)}</dd>
      </dl>
      <div className="mt-6 space-y-4">
        <a
          href={`/privacy/download/${encodeURIComponent(token)}/file`}
          download={view.fileName}
          rel="nofollow noreferrer"
          className="inline-flex w-full items-center justify-center gap-2 rounded-md bg-brand-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-brand-700 focus-visible:outline-2 focus-visible:outline-offset-2 sm:w-auto"
        >
          Download ({size(view.sizeBytes)})
        </a>
        <p className="text-sm text-slate-700">
          The file holds your personal data: keep it somewhere safe. After the date above the link stops working and the file is deleted. If you did not ask for
          this, do not download it and call {view.tenantName} on the number on its website.
        </p>
      </div>
    </>
  );
}
