import type { Metadata } from "next";
import Link from "next/link";
import { Card } from "@/components/ui/card";
import { getDb } from "@/db/client";
import { requireStaff } from "@/lib/auth";
import { openVerificationAlerts } from "@/lib/identity/verification";
import { CloseAlertForm } from "./close-alert-form";

export const metadata: Metadata = { title: "Verification alerts" };

export default async function AlertsPage() {
  const supervisor = await requireStaff("supervisor", "admin");
  const alerts = await openVerificationAlerts(await getDb(), supervisor);
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-bold">Verification alerts</h1>
      <p className="text-sm text-slate-700">
        Calls in which the caller failed verification three times: a possible account-takeover attempt. Review each one and close it with a note.
      </p>
      {alerts.length === 0 ? <p className="text-sm">No open alerts.</p> : null}
      {alerts.map((alert) => (
        <Card key={alert.id} title={`${alert.customerName} (${alert.customerRef})`} titleId={`alert-${alert.id}`}>
          <p className="mb-3 text-sm text-slate-800">
            {alert.reason} · {alert.createdAt.toISOString().replace("T", " ").slice(0, 16)} UTC · agent {alert.agentEmail ?? "unknown"} ·{" "}
            <Link href={`/customers/${alert.customerId}`} className="font-semibold text-brand-700 underline">
              open customer
            </Link>
          </p>
          <CloseAlertForm alertId={alert.id} label={alert.customerRef} />
        </Card>
      ))}
    </div>
  );
}
