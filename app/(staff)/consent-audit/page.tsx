import type { Metadata } from "next";
import { Card } from "@/components/ui/card";
import { getDb } from "@/db/client";
import { requireStaff } from "@/lib/auth";
import { listTenants } from "@/lib/tenants/tenants";
import { VerifyLedgerForm } from "./verify-ledger-form";

export const metadata: Metadata = { title: "Consent audit" };

export default async function ConsentAuditPage() {
  const staff = await requireStaff("supervisor", "admin");
  // The tenants this person works for: verification is refused for any other, admins included.
  const tenants = (await listTenants(await getDb(), staff)).filter((t) => staff.tenantIds.includes(t.id));
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-bold">Consent audit</h1>
      <p className="text-sm text-slate-700">
        Every consent event is hashed and chained to the customer&apos;s previous one. Verifying recomputes every hash of a tenant&apos;s ledger: an event changed or removed
        behind the application&apos;s back breaks the chain. Each verification is recorded in the audit trail.
      </p>
      {tenants.length === 0 ? <p className="text-sm">You are not assigned to any tenant.</p> : null}
      {tenants.map((t) => (
        <Card key={t.id} title={t.name} titleId={`ledger-${t.key}`}>
          <VerifyLedgerForm tenantId={t.id} tenantName={t.name} />
        </Card>
      ))}
    </div>
  );
}
