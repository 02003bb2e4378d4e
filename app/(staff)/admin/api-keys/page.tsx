import type { Metadata } from "next";
import { Badge, Card } from "@/components/ui/card";
import { getDb } from "@/db/client";
import { API_SCOPES, listApiKeys } from "@/lib/api-keys/api-keys";
import { requireStaff } from "@/lib/auth";
import { listTenants } from "@/lib/tenants/tenants";
import { CreateApiKeyForm, RevokeApiKeyForm } from "./api-key-forms";

export const metadata: Metadata = { title: "API keys" };

const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : "—");

export default async function ApiKeysAdminPage() {
  const admin = await requireStaff("admin");
  const db = await getDb();
  const [keys, tenants] = await Promise.all([listApiKeys(db, admin), listTenants(db, admin)]);
  const tenantName = new Map(tenants.map((t) => [t.id, t.name]));
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-bold">API keys</h1>
      <Card title="Create an API key" titleId="create-key">
        <CreateApiKeyForm tenants={tenants.map((t) => ({ value: t.id, label: t.name }))} scopes={API_SCOPES.map((s) => ({ value: s, label: s }))} />
      </Card>
      <Card title="Keys" titleId="keys">
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead className="text-slate-700">
              <tr>
                <th scope="col" className="py-2 pr-3">Name</th>
                <th scope="col" className="py-2 pr-3">Tenant</th>
                <th scope="col" className="py-2 pr-3">Starts with</th>
                <th scope="col" className="py-2 pr-3">Scopes</th>
                <th scope="col" className="py-2 pr-3">Created</th>
                <th scope="col" className="py-2 pr-3">Last used</th>
                <th scope="col" className="py-2 pr-3">Status</th>
                <th scope="col" className="py-2"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 align-top">
              {keys.map((k) => (
                <tr key={k.id}>
                  <td className="py-2 pr-3 font-medium">{k.name}</td>
                  <td className="py-2 pr-3">{tenantName.get(k.tenantId) ?? "—"}</td>
                  <td className="py-2 pr-3 font-mono">{k.prefix}…</td>
                  <td className="py-2 pr-3 text-xs">{k.scopes.join(", ")}</td>
                  <td className="py-2 pr-3">{day(k.createdAt)}</td>
                  <td className="py-2 pr-3">{day(k.lastUsedAt)}</td>
                  <td className="py-2 pr-3">{k.revokedAt ? <Badge tone="bad">revoked {day(k.revokedAt)}</Badge> : <Badge tone="good">active</Badge>}</td>
                  <td className="py-2">{k.revokedAt ? null : <RevokeApiKeyForm apiKeyId={k.id} name={k.name} />}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
    </div>
  );
}
