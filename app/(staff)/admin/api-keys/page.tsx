import type { Metadata } from "next";
import { Badge, Card } from "@/components/ui/card";
import { Table } from "@/components/ui/table";
import { getDb } from "@/db/client";
import { API_SCOPES, listApiKeys } from "@/lib/api-keys/api-keys";
import { requireStaff } from "@/lib/auth";
import { API_BATCH_CHECKS_PER_REQUEST, API_KEY_DEFAULT } from "@/lib/rate-limit/limits";
import { listTenants } from "@/lib/tenants/tenants";
import { ApiKeyRateLimitForm, CreateApiKeyForm, RevokeApiKeyForm } from "./api-key-forms";

export const metadata: Metadata = { title: "API keys" };

const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : "—");

const rate = (k: { ratePerSecond: number | null; rateBurst: number | null }) =>
  `${k.ratePerSecond ?? API_KEY_DEFAULT.perSecond}/s, bursts of ${k.rateBurst ?? API_KEY_DEFAULT.burst}` +
  (k.ratePerSecond === null && k.rateBurst === null ? " (default)" : "");

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
        <Table columns={["Name", "Tenant", "Starts with", "Scopes", "Rate limit", "Created", "Last used", "Status", { hidden: "Actions" }]}>
          {keys.map((k) => (
            <tr key={k.id}>
              <td className="px-3 py-2 font-medium">{k.name}</td>
              <td className="px-3 py-2">{tenantName.get(k.tenantId) ?? "—"}</td>
              <td className="px-3 py-2 font-mono">{k.prefix}…</td>
              <td className="px-3 py-2 text-xs">{k.scopes.join(", ")}</td>
              <td className="px-3 py-2 text-xs">{rate(k)}</td>
              <td className="px-3 py-2">{day(k.createdAt)}</td>
              <td className="px-3 py-2">{day(k.lastUsedAt)}</td>
              <td className="px-3 py-2">{k.revokedAt ? <Badge tone="bad">revoked {day(k.revokedAt)}</Badge> : <Badge tone="good">active</Badge>}</td>
              <td className="px-3 py-2">{k.revokedAt ? null : <RevokeApiKeyForm apiKeyId={k.id} name={k.name} />}</td>
            </tr>
          ))}
        </Table>
      </Card>
      <Card title="Rate limits" titleId="rate-limits">
        <p className="mb-4 text-sm text-slate-700">
          Calls over a key&apos;s limit are refused (429) and told when to try again. By default a key may make{" "}
          {API_KEY_DEFAULT.perSecond} calls a second, in bursts of {API_KEY_DEFAULT.burst}; a batch consent check counts as
          one call per {API_BATCH_CHECKS_PER_REQUEST} checks. Leave a field empty for the default.
        </p>
        <div className="space-y-6">
          {keys
            .filter((k) => !k.revokedAt)
            .map((k) => (
              <ApiKeyRateLimitForm
                key={k.id}
                apiKey={k}
                name={`${k.name} (${tenantName.get(k.tenantId) ?? "—"})`}
                defaults={API_KEY_DEFAULT}
              />
            ))}
        </div>
      </Card>
    </div>
  );
}
