import type { Metadata } from "next";
import Link from "next/link";
import { Badge, Card } from "@/components/ui/card";
import { Table } from "@/components/ui/table";
import { getDb } from "@/db/client";
import { requireStaff } from "@/lib/auth";
import { tenantCatalogue } from "@/lib/consent/catalogue";
import { listTenants } from "@/lib/tenants/tenants";
import { channelLabel, legalBasisLabel } from "./labels";
import { CreatePurposeForm, EditPurposeForm, PublishNoticeForm } from "./purpose-forms";

export const metadata: Metadata = { title: "Purposes and notices" };

const days = (n: number | null) => (n === null ? "—" : `${n} days`);
const utc = (d: Date) => `${d.toISOString().replace("T", " ").slice(0, 16)} UTC`;

export default async function PurposesAdminPage({ searchParams }: { searchParams: Promise<{ tenant?: string }> }) {
  const admin = await requireStaff("admin");
  const db = await getDb();
  const tenants = await listTenants(db, admin);
  const { tenant: key } = await searchParams;
  const tenant = tenants.find((t) => t.key === key) ?? tenants[0];
  if (!tenant) return <p className="text-sm">There are no tenants yet.</p>;
  const { purposes, notices } = await tenantCatalogue(db, admin, tenant.id);

  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-bold">Purposes and notices</h1>
      <p className="text-sm text-slate-700">
        A purpose is a tenant&apos;s reason for processing, with its legal basis; a notice is the exact words a customer hears or reads before choosing. Published notice
        versions never change.
      </p>
      <nav aria-label="Tenants" className="flex flex-wrap gap-2 text-sm">
        {tenants.map((t) => (
          <Link
            key={t.id}
            href={`/admin/purposes?tenant=${encodeURIComponent(t.key)}`}
            aria-current={t.id === tenant.id ? "page" : undefined}
            className={`rounded-md border px-3 py-1 font-medium ${t.id === tenant.id ? "border-brand-600 bg-brand-600 text-white" : "border-slate-300 text-slate-800 hover:bg-slate-50"}`}
          >
            {t.name}
          </Link>
        ))}
      </nav>

      <Card title={`Purposes of ${tenant.name}`} titleId="purposes">
        {purposes.length === 0 ? (
          <p className="text-sm">No purposes yet.</p>
        ) : (
          <Table columns={["Key", "Name", "Legal basis", "Category", "Special category", "Channels", "Review interval", "Validity"]}>
            {purposes.map((p) => (
              <tr key={p.id}>
                <td className="px-3 py-2 font-mono">{p.key}</td>
                <td className="px-3 py-2 font-medium">{p.name}</td>
                <td className="px-3 py-2">{legalBasisLabel(p.legalBasis)}</td>
                <td className="px-3 py-2">{p.category}</td>
                <td className="px-3 py-2">{p.specialCategory ? <Badge tone="warn">Art. 9: explicit consent</Badge> : "No"}</td>
                <td className="px-3 py-2">{p.channels.map(channelLabel).join(", ")}</td>
                <td className="px-3 py-2">{days(p.reviewIntervalDays)}</td>
                <td className="px-3 py-2">{p.validForDays === null ? "No expiry" : days(p.validForDays)}</td>
              </tr>
            ))}
          </Table>
        )}
        {purposes.length > 0 ? (
          <div className="mt-4 space-y-2">
            <h3 className="text-sm font-semibold">Edit a purpose</h3>
            {purposes.map((p) => (
              <details key={p.id} className="rounded-md border border-slate-200 px-3 py-2">
                <summary className="cursor-pointer text-sm font-medium">
                  Edit {p.name} <span className="font-mono text-slate-600">({p.key})</span>
                </summary>
                <div className="mt-3">
                  <EditPurposeForm tenantId={tenant.id} purpose={p} />
                </div>
              </details>
            ))}
          </div>
        ) : null}
      </Card>

      <Card title={`Add a purpose for ${tenant.name}`} titleId="add-purpose">
        <CreatePurposeForm key={tenant.id} tenantId={tenant.id} tenantName={tenant.name} />
      </Card>

      <Card title={`Notices of ${tenant.name}`} titleId="notices">
        {notices.length === 0 ? (
          <p className="text-sm">No notices published yet.</p>
        ) : (
          <Table columns={["Purposes", "Kind", "Language", "Version", "Published at", "SHA-256", "Text"]}>
            {notices.map((n) => (
              <tr key={n.id}>
                <td className="px-3 py-2 font-mono">{n.purposeKeys.join(", ")}</td>
                <td className="px-3 py-2">{n.kind}</td>
                <td className="px-3 py-2">{n.language}</td>
                <td className="px-3 py-2">{n.version}</td>
                <td className="px-3 py-2 whitespace-nowrap">{utc(n.publishedAt)}</td>
                <td className="px-3 py-2 font-mono text-xs break-all">{n.hash}</td>
                <td className="px-3 py-2">
                  <details>
                    <summary className="cursor-pointer text-brand-700 underline">
                      Show text<span className="sr-only"> of {n.purposeKeys.join(", ")} {n.kind} {n.language} version {n.version}</span>
                    </summary>
                    <p className="mt-2 max-w-prose whitespace-pre-wrap text-slate-800">{n.text}</p>
                  </details>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Card>

      <Card title={`Publish a notice version for ${tenant.name}`} titleId="publish-notice">
        {purposes.length === 0 ? (
          <p className="text-sm">Add a purpose first.</p>
        ) : (
          <PublishNoticeForm key={tenant.id} tenantId={tenant.id} tenantName={tenant.name} purposes={purposes.map((p) => ({ value: p.key, label: `${p.name} (${p.key})` }))} />
        )}
      </Card>
    </div>
  );
}
