import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Card } from "@/components/ui/card";
import { Table } from "@/components/ui/table";
import { getDb } from "@/db/client";
import { requireStaff } from "@/lib/auth";
import { NotFoundError } from "@/lib/errors";
import { currentPackage } from "@/lib/privacy-requests/access-package";
import { erasurePlan } from "@/lib/privacy-requests/erasure";
import { REQUEST_TYPE_LABELS } from "@/lib/privacy-requests/messages";
import { privacyRequestDetail } from "@/lib/privacy-requests/queue";
import { identityFact, isActive } from "@/lib/privacy-requests/requests";
import {
  assignAction,
  buildPackageAction,
  carryOutErasureAction,
  completeAction,
  confirmIdentityAction,
  extendAction,
  rejectAction,
  releasePackageAction,
  startWorkAction,
} from "../actions";
import { DeadlineBadge, StatusBadge, dayWords, regimeLabel } from "../labels";
import { StepForm } from "./step-form";

export const metadata: Metadata = { title: "Privacy request" };

const at = (d: Date | null) => (d ? `${d.toISOString().replace("T", " ").slice(0, 16)} UTC` : "—");

export default async function PrivacyRequestPage({ params }: { params: Promise<{ id: string }> }) {
  const supervisor = await requireStaff("supervisor", "admin");
  const { id } = await params;
  const db = await getDb();
  const detail = await privacyRequestDetail(db, supervisor, id).catch((error: unknown) => {
    if (error instanceof NotFoundError) notFound();
    throw error;
  });
  const { request: r, customer } = detail;
  const active = isActive(r.status);
  const workable = r.status === "open" || r.status === "in_progress";
  const packaged = r.type === "access" || r.type === "portability";
  const [pkg, plan] = await Promise.all([
    packaged ? currentPackage(db, supervisor, r.id) : Promise.resolve(null),
    r.type === "erasure" && workable ? erasurePlan(db, supervisor, r.id) : Promise.resolve(null),
  ]);
  const step = { requestId: r.id, version: r.version };

  return (
    <div className="space-y-6">
      <p className="text-sm">
        <Link href="/privacy-requests" className="font-medium text-brand-700 underline">
          ← All privacy requests
        </Link>
      </p>
      <div className="flex flex-wrap items-baseline gap-3">
        <h1 className="text-2xl font-bold">{REQUEST_TYPE_LABELS[r.type].split(":")[0]} request</h1>
        <StatusBadge status={r.status} />
        <DeadlineBadge state={detail.deadline} />
      </div>

      <div className="grid gap-6 lg:grid-cols-3">
        <Card title="The request" titleId="request" className={active ? "lg:col-span-2" : "lg:col-span-3"}>
          <dl className="grid grid-cols-1 gap-x-6 gap-y-2 text-sm sm:grid-cols-2">
            <Fact label="Customer">
              <Link href={`/customers/${customer.id}`} className="font-semibold text-brand-700 underline">
                {customer.name}
              </Link>{" "}
              <span className="font-mono text-xs">{customer.ref}</span>
              {customer.status === "erased" ? " · erased" : customer.restricted ? " · processing restricted" : ""}
            </Fact>
            <Fact label="What they asked">{REQUEST_TYPE_LABELS[r.type]}</Fact>
            <Fact label="Due">
              <strong>{dayWords(r.dueAt, r.regime)}</strong>
              {r.extendedAt ? ` (extended on ${dayWords(r.extendedAt)}: ${r.extensionReason})` : ""}
            </Fact>
            <Fact label="Rule">{regimeLabel(r.regime)}</Fact>
            <Fact label="Received">
              {at(r.receivedAt)} by {r.channel.replace("_", " ")}
            </Fact>
            <Fact label="Clock started">{dayWords(r.clockStartedAt, r.regime)}</Fact>
            <Fact label="Receipt confirmed">
              {r.acknowledgedAt ? `${at(r.acknowledgedAt)}${r.interactionId ? ", read back on the call" : ""}` : "not yet"}
              {r.acknowledgeBy ? ` (due by ${dayWords(r.acknowledgeBy, r.regime)})` : ""}
            </Fact>
            <Fact label="Caller verification when logged">{r.verificationLevel}</Fact>
            <Fact label="Identity">{identityFact(r)}</Fact>
            <Fact label="Assigned to">{detail.assigneeName ?? "nobody"}</Fact>
            {r.completedAt ? <Fact label={r.status === "rejected" ? "Refused" : "Completed"}>{at(r.completedAt)}</Fact> : null}
            {r.customerWords ? (
              <Fact label="In the customer's words" wide>
                “{r.customerWords}”
              </Fact>
            ) : null}
            {r.resolution ? (
              <Fact label="Outcome" wide>
                {r.resolution}
              </Fact>
            ) : null}
          </dl>
          {r.rejectionResponse ? (
            <div className="mt-4">
              <h3 className="text-sm font-semibold">Response sent to the customer</h3>
              <p className="mt-1 whitespace-pre-line rounded-md border border-slate-200 bg-slate-50 p-3 text-sm">{r.rejectionResponse}</p>
            </div>
          ) : null}
          {r.kept?.length ? (
            <div className="mt-4">
              <h3 className="text-sm font-semibold">Kept after erasure, and why</h3>
              <ul className="mt-1 list-disc pl-5 text-sm">
                {r.kept.map((k) => (
                  <li key={k.what}>
                    {k.what}: {k.basis}
                    {k.deleteAfter ? ` (deleted after ${dayWords(new Date(k.deleteAfter))})` : ""}
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
        </Card>

        {active ? (
          <Card title="Handle it" titleId="handle">
            <div className="space-y-5">
              {r.status === "identity_pending" ? (
                <StepForm
                  action={confirmIdentityAction}
                  {...step}
                  label="Confirm identity"
                  submit="Confirm identity"
                  pendingText="Confirming…"
                  fields={[
                    { kind: "text", name: "method", label: "How you confirmed it is them", hint: "Match against what we hold (for example a code to the email on file). No identity documents unless there is a specific doubt." },
                    ...(detail.identityDays
                      ? [
                          {
                            kind: "date" as const,
                            name: "identityReceivedOn",
                            label: "Day the identity information arrived",
                            hint: "The month to respond runs from this day (UK GDPR), not from your confirmation; when it moves the due date, the customer is sent the new one.",
                            defaultValue: detail.identityDays.today,
                            min: detail.identityDays.receivedOn,
                            max: detail.identityDays.today,
                          },
                        ]
                      : []),
                  ]}
                />
              ) : null}
              {r.status === "open" ? <StepForm action={startWorkAction} {...step} label="Start work" submit="Start work" pendingText="Starting…" /> : null}
              <StepForm
                action={assignAction}
                {...step}
                label="Assign"
                submit="Assign"
                pendingText="Assigning…"
                variant="secondary"
                fields={[{ kind: "select", name: "assigneeId", label: "Assigned to", options: detail.assignable.map((s) => ({ value: s.id, label: s.name })), placeholder: "Nobody", defaultValue: r.assignedTo ?? "" }]}
              />
            </div>
          </Card>
        ) : null}
      </div>

      {packaged && (workable || r.status === "awaiting_release") ? (
        <Card title={r.type === "access" ? "Access package" : "Portability package"} titleId="package">
          <div className="space-y-4">
            {pkg ? (
              <div className="max-w-xl space-y-2 text-sm">
                <p>
                  Built {at(pkg.builtAt)} · {(pkg.sizeBytes / 1024).toFixed(1)} KB · SHA-256 <span className="font-mono text-xs">{pkg.sha256.slice(0, 16)}…</span>
                </p>
                <Table columns={["Data set", "Records", "Files"]} dense>
                  {dataSets(pkg.manifest).map((d) => (
                    <tr key={d.name} className={d.records === 0 ? "text-slate-600" : undefined}>
                      <td className="py-1 pr-3">{d.name}</td>
                      <td className="py-1 pr-3">{d.records === 0 ? "none" : d.records}</td>
                      <td className="py-1 pr-3 font-mono text-xs">{d.files.join(", ")}</td>
                    </tr>
                  ))}
                </Table>
                {r.status === "awaiting_release" && !pkg.releasedAt && !pkg.droppedAt ? (
                  <p>
                    {/* A plain link: a prefetching one would download (and audit) the package unasked. */}
                    <a href={`/privacy-requests/${r.id}/package`} download rel="nofollow" className="font-medium text-brand-700 underline">
                      Download to review
                    </a>{" "}
                    <span className="text-slate-700">(zip; each download is audited, and shows in the customer&apos;s record of who accessed their data)</span>
                  </p>
                ) : null}
              </div>
            ) : (
              <p className="text-sm text-slate-700">
                {r.type === "access"
                  ? "Everything held about the customer: profile, contact history, consents with the words they heard, preferences, payment methods (masked), subscription, calls, requests, and who accessed their data — as JSON and CSV in one zip."
                  : "The data the customer gave us (profile, preferences, consents) as JSON and CSV with a documented schema."}
              </p>
            )}
            {workable || r.status === "awaiting_release" ? (
              <StepForm action={buildPackageAction} {...step} label="Build package" submit={pkg ? "Build again" : "Build package"} pendingText="Building…" variant={pkg ? "secondary" : "primary"} />
            ) : null}
            {r.status === "awaiting_release" && pkg ? (
              <StepForm
                action={releasePackageAction}
                {...step}
                label="Review and release"
                submit="Release to the customer"
                pendingText="Releasing…"
                fields={[
                  { kind: "checkbox", name: "thirdPartyDataReviewed", label: "I reviewed the package for other people's personal data (other callers, notes about third parties) and removed or redacted it." },
                  { kind: "text", name: "reviewNote", label: "Review note", hint: "What you checked; kept with the request as the record of who approved the release." },
                ]}
              />
            ) : null}
          </div>
        </Card>
      ) : null}

      {plan ? (
        <Card title="Erasure" titleId="erasure">
          <div className="grid gap-6 md:grid-cols-2">
            <div>
              <h3 className="text-sm font-semibold">Erased or anonymised</h3>
              <ul className="mt-1 list-disc pl-5 text-sm">
                {plan.erase.map((e) => (
                  <li key={e}>{e}</li>
                ))}
              </ul>
            </div>
            <div>
              <h3 className="text-sm font-semibold">Kept, restricted to its purpose</h3>
              <ul className="mt-1 list-disc pl-5 text-sm">
                {plan.keep.map((k) => (
                  <li key={k.what}>
                    {k.what}: {k.basis}
                    {k.deleteAfter ? ` (until ${dayWords(new Date(k.deleteAfter))})` : ""}
                  </li>
                ))}
              </ul>
            </div>
          </div>
          <div className="mt-4">
            <StepForm
              action={carryOutErasureAction}
              {...step}
              label="Carry out erasure"
              submit="Erase now"
              pendingText="Erasing…"
              variant="danger"
              fields={[{ kind: "checkbox", name: "confirm", label: "I have checked the request and the customer's identity. Erasure cannot be undone." }]}
            />
          </div>
        </Card>
      ) : null}

      {active ? (
        <div className="grid gap-6 lg:grid-cols-3">
          {workable && !packaged && r.type !== "erasure" ? (
            <Card title="Complete" titleId="complete">
              <StepForm
                action={completeAction}
                {...step}
                label="Complete"
                submit="Complete"
                pendingText="Completing…"
                intro={r.type === "rectification" ? <p className="text-sm text-slate-700">Correct the details on the customer page during a call (Update details), then say here what was corrected.</p> : null}
                fields={[{ kind: "text", name: "resolution", label: "What was done (the customer is told)" }]}
              />
            </Card>
          ) : null}
          <Card title="Extend" titleId="extend">
            {detail.extension.ok ? (
              <StepForm
                action={extendAction}
                {...step}
                label="Extend"
                submit="Extend the deadline"
                pendingText="Extending…"
                variant="secondary"
                fields={[{ kind: "text", name: "reason", label: "Why more time is needed", hint: "Only for complex or numerous requests. The customer is sent this reason with the new date." }]}
              />
            ) : (
              <p className="text-sm text-slate-700">{detail.extension.reason}</p>
            )}
          </Card>
          <Card title="Refuse" titleId="refuse">
            <StepForm
              action={rejectAction}
              {...step}
              label="Refuse"
              submit="Refuse the request"
              pendingText="Refusing…"
              variant="danger"
              intro={<p className="text-sm text-slate-700">Only a manifestly unfounded or excessive request may be refused; the burden of showing it is ours. The customer is sent your reasons and their right to complain.</p>}
              fields={[
                { kind: "select", name: "ground", label: "Ground", placeholder: "Choose…", options: [{ value: "manifestly_unfounded", label: "Manifestly unfounded" }, { value: "excessive", label: "Excessive (for example repetitive)" }] },
                { kind: "text", name: "reason", label: "Justification (sent to the customer)", rows: 3 },
              ]}
            />
          </Card>
        </div>
      ) : null}

      <Card title="History" titleId="history">
        <Table columns={["When", "Who", "What", "Reason"]} dense>
          {detail.timeline.map((e) => (
            <tr key={e.id}>
              <td className="py-1 pr-3 whitespace-nowrap">{at(e.at)}</td>
              <td className="py-1 pr-3">{e.actorLabel}</td>
              <td className="py-1 pr-3">{e.action.replace("privacy_request.", "").replaceAll("_", " ")}</td>
              <td className="py-1 pr-3">{e.reason}</td>
            </tr>
          ))}
        </Table>
      </Card>
    </div>
  );
}

/** The package's files by data set (profile.json and profile.csv are one set), those holding records first. */
function dataSets(manifest: { file: string; records: number }[]) {
  const sets = new Map<string, { name: string; records: number; files: string[] }>();
  for (const m of manifest) {
    const name = m.file.replace(/\.[a-z]+$/, "");
    const set = sets.get(name) ?? { name, records: m.records, files: [] };
    set.files.push(m.file);
    sets.set(name, set);
  }
  return [...sets.values()].sort((a, b) => Number(b.records > 0) - Number(a.records > 0));
}

function Fact({ label, children, wide = false }: { label: string; children: React.ReactNode; wide?: boolean }) {
  return (
    <div className={wide ? "sm:col-span-2" : undefined}>
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-600">{label}</dt>
      <dd className="text-slate-900">{children}</dd>
    </div>
  );
}
