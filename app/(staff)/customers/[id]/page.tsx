import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { AuditTrail } from "@/components/customers/audit-trail";
import { CallPanel } from "@/components/customers/call-panel";
import { InteractionHistory } from "@/components/customers/interaction-history";
import { Badge, Card } from "@/components/ui/card";
import { getDb } from "@/db/client";
import type { PostalAddress } from "@/db/schema";
import { tenants } from "@/db/schema";
import { customerAuditTrail } from "@/lib/audit/audit";
import { requireStaff } from "@/lib/auth";
import { getCustomer } from "@/lib/customers/customers";
import { maskAddress, maskDateOfBirth, maskEmail, maskPhone } from "@/lib/customers/masking";
import { NotFoundError } from "@/lib/errors";
import { customerInteractions, DISPOSITION_LABELS, openCallWith } from "@/lib/interactions/interactions";
import { eq } from "drizzle-orm";
import { endCallAction, startCallAction } from "./actions";

export const metadata: Metadata = { title: "Customer" };

const DISPOSITIONS = Object.entries(DISPOSITION_LABELS).map(([value, label]) => ({ value, label }));

export default async function CustomerPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ caller?: string }> }) {
  const staff = await requireStaff();
  const { id } = await params;
  const { caller } = await searchParams;
  const db = await getDb();
  const customer = await getCustomer(db, staff, id).catch((error: unknown) => {
    if (error instanceof NotFoundError) notFound();
    throw error;
  });
  const seesAudit = staff.role === "supervisor" || staff.role === "admin";
  const [[tenant], history, openCall, audit] = await Promise.all([
    db.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, customer.tenantId)),
    customerInteractions(db, staff, customer),
    openCallWith(db, staff, customer),
    seesAudit ? customerAuditTrail(db, staff, customer.tenantId, customer.id) : Promise.resolve([]),
  ]);

  const details: [string, string | null][] = [
    ["Email", maskEmail(customer.email)],
    ["Phone", maskPhone(customer.phone)],
    ["Address", maskAddress(customer.address as PostalAddress | null)],
    ["Date of birth", maskDateOfBirth(customer.dateOfBirth)],
    ["Language", customer.language],
  ];

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-baseline gap-3">
        <h1 className="text-2xl font-bold">{customer.name}</h1>
        <span className="font-mono text-slate-700">{customer.ref}</span>
        <Badge tone="info">{tenant?.name}</Badge>
        <Badge tone={customer.status === "active" ? "good" : "neutral"}>{customer.status}</Badge>
        {customer.restricted ? <Badge tone="warn">processing restricted</Badge> : null}
      </div>

      <div className="grid gap-6 lg:grid-cols-3">
        <Card title="Call" titleId="call" className="lg:col-span-2">
          <CallPanel
            customerId={customer.id}
            openCall={
              openCall
                ? { id: openCall.id, startedAt: openCall.startedAt.toISOString(), callerNumber: maskPhone(openCall.callerNumber), recordingRef: openCall.recordingRef }
                : null
            }
            callerFromScreenPop={caller}
            dispositions={DISPOSITIONS}
            startCallAction={startCallAction}
            endCallAction={endCallAction}
          />
        </Card>

        <Card title="Details" titleId="details">
          <p className="mb-2 text-xs text-slate-600">Masked until the caller is verified.</p>
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
            {details.map(([label, value]) => (
              <div key={label} className="contents">
                <dt className="text-slate-600">{label}</dt>
                <dd className="font-mono">{value ?? "—"}</dd>
              </div>
            ))}
          </dl>
        </Card>
      </div>

      <Card title="Interaction history" titleId="history">
        <InteractionHistory interactions={history} />
      </Card>

      {seesAudit ? (
        <Card title="Audit trail" titleId="audit">
          <AuditTrail events={audit} />
        </Card>
      ) : null}
    </div>
  );
}
