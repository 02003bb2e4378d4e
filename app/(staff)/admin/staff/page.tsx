import type { Metadata } from "next";
import { Badge, Card } from "@/components/ui/card";
import { getDb } from "@/db/client";
import { requireStaff } from "@/lib/auth";
import { enrolledStaffIds } from "@/lib/staff/second-factor";
import { listStaff } from "@/lib/staff/staff";
import { listAssignableTenants } from "@/lib/tenants/tenants";
import { CreateStaffForm, EditStaffForm, ResetSecondFactorForm, UnlockStaffForm } from "./staff-forms";

export const metadata: Metadata = { title: "Staff" };

export default async function StaffAdminPage() {
  const admin = await requireStaff("admin");
  const db = await getDb();
  // A platform admin assigns staff to any tenant; another admin sees and assigns only their own.
  const [staff, tenants] = await Promise.all([listStaff(db, admin), listAssignableTenants(db, admin)]);
  const enrolled = await enrolledStaffIds(db, staff.map((m) => m.id));
  const tenantOptions = tenants.map((t) => ({ value: t.id, label: t.name }));
  const now = new Date();
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-bold">Staff</h1>
      <Card title="Add a staff member" titleId="add-staff">
        <CreateStaffForm tenants={tenantOptions} canMakePlatformAdmins={admin.platformAdmin} />
      </Card>
      <Card title={`${staff.length} staff members`} titleId="staff-list">
        <ul className="divide-y divide-slate-100">
          {staff.map((member) => (
            <li key={member.id} className="py-4">
              <div className="mb-2 flex flex-wrap items-center gap-2">
                <span className="font-semibold">{member.name}</span>
                <span className="text-sm text-slate-700">{member.email}</span>
                {member.platformAdmin ? <Badge tone="info">platform admin</Badge> : null}
                {!member.active ? <Badge tone="bad">deactivated</Badge> : null}
                {member.lockedUntil && member.lockedUntil > now ? (
                  <Badge tone="warn">locked until {member.lockedUntil.toISOString().slice(11, 16)} UTC</Badge>
                ) : null}
                {enrolled.has(member.id) ? <Badge tone="info">two-step on</Badge> : null}
                {member.id === admin.id ? <Badge tone="info">you</Badge> : null}
              </div>
              <EditStaffForm member={member} tenants={tenantOptions} canMakePlatformAdmins={admin.platformAdmin} />
              {member.lockedUntil && member.lockedUntil > now ? (
                <div className="mt-2">
                  <UnlockStaffForm staffId={member.id} name={member.name} />
                </div>
              ) : null}
              {enrolled.has(member.id) && member.id !== admin.id ? (
                <div className="mt-2">
                  <ResetSecondFactorForm staffId={member.id} name={member.name} />
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      </Card>
    </div>
  );
}
