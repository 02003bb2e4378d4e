import type { Metadata } from "next";
import Link from "next/link";
import { Card } from "@/components/ui/card";
import { getDb } from "@/db/client";
import { requireStaff } from "@/lib/auth";
import { openConsentDisputes } from "@/lib/consent/disputes";
import { openVerificationAlerts } from "@/lib/identity/verification";
import { CloseAlertForm } from "./close-alert-form";
import { CloseDisputeForm } from "./close-dispute-form";

export const metadata: Metadata = { title: "Alerts" };

const utc = (at: Date) => `${at.toISOString().replace("T", " ").slice(0, 16)} UTC`;

export default async function AlertsPage() {
  const supervisor = await requireStaff("supervisor", "admin");
  const db = await getDb();
  const [alerts, disputes] = await Promise.all([openVerificationAlerts(db, supervisor), openConsentDisputes(db, supervisor)]);
  return (
    <div className="space-y-8">
      <h1 className="text-2xl font-bold">Alerts</h1>
      <section aria-labelledby="verification-alerts" className="space-y-4">
        <h2 id="verification-alerts" className="text-xl font-semibold">
          Verification alerts
        </h2>
        <p className="text-sm text-slate-700">
          Customers whose callers failed verification three times within 24 hours, in one call or across several: a
          possible account-takeover attempt. Verification stays locked for the customer until you close the alert with a
          note, or for 24 hours. Review each one and close it.
        </p>
        {alerts.length === 0 ? <p className="text-sm">No open alerts.</p> : null}
        {alerts.map((alert) => (
          <Card key={alert.id} title={`${alert.customerName} (${alert.customerRef})`} titleId={`alert-${alert.id}`}>
            <p className="mb-3 text-sm text-slate-800">
              {alert.reason} · {utc(alert.createdAt)} · agent {alert.agentEmail ?? "unknown"} ·{" "}
              <Link href={`/customers/${alert.customerId}`} className="font-semibold text-brand-700 underline">
                open customer
              </Link>
            </p>
            <p className="mb-3 text-sm font-medium text-slate-900">
              {alert.locksUntil
                ? `Verification locked for this customer until ${utc(alert.locksUntil)}; closing the alert lifts it.`
                : "The lock lifted by itself 24 hours after the alert; close the alert once reviewed."}
            </p>
            <CloseAlertForm alertId={alert.id} label={alert.customerRef} />
          </Card>
        ))}
      </section>
      <section aria-labelledby="disputed-consent" className="space-y-4">
        <h2 id="disputed-consent" className="text-xl font-semibold">
          Disputed consent
        </h2>
        <p className="text-sm text-slate-700">
          Customers who answered a consent receipt with “This wasn&apos;t me”. The choices recorded in that call were invalidated when they reported it; listen to
          the recording, find out what happened and close each one with a note.
        </p>
        {disputes.length === 0 ? <p className="text-sm">No open disputes.</p> : null}
        {disputes.map((dispute) => (
          <section key={dispute.id} aria-labelledby={`dispute-${dispute.id}`} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h3 id={`dispute-${dispute.id}`} className="mb-2 text-base font-semibold text-slate-900">
              {dispute.customerName} ({dispute.customerRef})
            </h3>
            <p className="mb-2 text-sm text-slate-800">
              Reported {utc(dispute.reportedAt)}
              {dispute.callStartedAt ? ` · call of ${utc(dispute.callStartedAt)}` : ""} · agent {dispute.agentEmail ?? "unknown"} · {dispute.eventIds.length}{" "}
              {dispute.eventIds.length === 1 ? "choice" : "choices"} invalidated ·{" "}
              <Link href={`/customers/${dispute.customerId}`} className="font-semibold text-brand-700 underline">
                open customer
              </Link>
            </p>
            {dispute.decisions.length > 0 ? (
              <>
                <p className="text-sm font-medium text-slate-800">Recorded in the call, as the customer&apos;s receipt put it:</p>
                <ul className="mb-3 list-disc pl-5 text-sm text-slate-800">
                  {dispute.decisions.map((words, i) => (
                    <li key={i}>{words}</li>
                  ))}
                </ul>
              </>
            ) : null}
            <CloseDisputeForm disputeId={dispute.id} label={dispute.customerRef} />
          </section>
        ))}
      </section>
    </div>
  );
}
