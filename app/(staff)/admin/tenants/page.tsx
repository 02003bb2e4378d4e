import type { Metadata } from "next";
import { Card } from "@/components/ui/card";
import { getDb } from "@/db/client";
import { requireStaff } from "@/lib/auth";
import { RULE_PACKS } from "@/lib/tenants/rule-packs";
import { listTenants } from "@/lib/tenants/tenants";
import { CreateTenantForm, EditTenantForm } from "./tenant-forms";

export const metadata: Metadata = { title: "Tenants" };

const RULE_PACK_OPTIONS = Object.entries(RULE_PACKS).map(([value, label]) => ({ value, label }));

export default async function TenantsAdminPage() {
  const admin = await requireStaff("admin");
  const tenants = await listTenants(await getDb(), admin);
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-bold">Tenants</h1>
      <p className="text-sm text-slate-700">
        Each tenant is a client brand: the controller of its customers&apos; data. Its rule-packs decide deadlines and marketing rules. You see the tenants
        you administer.
      </p>
      {tenants.map((t) => (
        <Card key={t.id} title={`${t.name} (${t.key})`} titleId={`tenant-${t.key}`}>
          <EditTenantForm tenant={t} rulePacks={RULE_PACK_OPTIONS} />
        </Card>
      ))}
      {admin.platformAdmin ? (
        <Card title="Add a tenant" titleId="add-tenant">
          <CreateTenantForm rulePacks={RULE_PACK_OPTIONS} />
        </Card>
      ) : (
        <p className="text-sm text-slate-700">A platform admin adds tenants, and assigns admins to them.</p>
      )}
    </div>
  );
}
