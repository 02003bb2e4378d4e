import type { Metadata } from "next";
import { Badge, Card } from "@/components/ui/card";
import { Table } from "@/components/ui/table";
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
        <Table columns={["Name", "Tenant", "Starts with", "Scopes", "Created", "Last used", "Status", { hidden: "Actions" }]}>
          {keys.map((k) => (
            <tr key={k.id}>
              <td className="px-3 py-2 font-medium">{k.name}</td>
              <td className="px-3 py-2">{tenantName.get(k.tenantId) ?? "—"}</td>
              <td className="px-3 py-2 font-mono">{k.prefix}…</td>
              <td className="px-3 py-2 text-xs">{k.scopes.join(", ")}</td>
              <td className="px-3 py-2">{day(k.createdAt)}</td>
              <td className="px-3 py-2">{day(k.lastUsedAt)}</td>
              <td className="px-3 py-2">{k.revokedAt ? <Badge tone="bad">revoked {day(k.revokedAt)}</Badge> : <Badge tone="good">active</Badge>}</td>
              <td className="px-3 py-2">{k.revokedAt ? null : <RevokeApiKeyForm apiKeyId={k.id} name={k.name} />}</td>
            </tr>
          ))}
        </Table>
      </Card>
    </div>
  );
}
