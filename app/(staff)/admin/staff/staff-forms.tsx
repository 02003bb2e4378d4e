"use client";

import { SubmitButton } from "@/components/ui/button";
import { CheckboxGroup, SelectField, TextField } from "@/components/ui/field";
import { FormMessage } from "@/components/ui/form-message";
import { useActionForm } from "@/components/ui/use-action-form";
import { createStaffAction, resetSecondFactorAction, unlockStaffAction, updateStaffAction } from "../actions";

type Option = { value: string; label: string };
const ROLES: Option[] = [
  { value: "agent", label: "Agent" },
  { value: "supervisor", label: "Supervisor" },
  { value: "admin", label: "Admin" },
];

const PLATFORM_ADMIN: Option[] = [
  { value: "false", label: "No" },
  { value: "true", label: "Yes: may add tenants and assign staff to any" },
];

export function CreateStaffForm({ tenants, canMakePlatformAdmins }: { tenants: Option[]; canMakePlatformAdmins: boolean }) {
  const form = useActionForm(createStaffAction, { resetOnSuccess: true });
  return (
    <form {...form.formProps} className="space-y-3" aria-label="Add staff member">
      <FormMessage error={form.formError} success={form.data?.message} />
      <div className="grid gap-3 md:grid-cols-2">
        <TextField label="Full name" name="name" error={form.fieldErrors.name} autoComplete="off" />
        <TextField label="Work email" name="email" type="email" error={form.fieldErrors.email} autoComplete="off" />
        <SelectField label="Role" name="role" options={ROLES} defaultValue="agent" error={form.fieldErrors.role} />
        <TextField
          label="Initial password"
          name="password"
          type="password"
          autoComplete="new-password"
          error={form.fieldErrors.password}
          hint="At least 12 characters, not a common password nor their name. Give it to the person privately."
        />
        {canMakePlatformAdmins ? (
          <SelectField label="Platform admin" name="platformAdmin" options={PLATFORM_ADMIN} defaultValue="false" error={form.fieldErrors.platformAdmin} />
        ) : null}
      </div>
      <CheckboxGroup legend="Tenants" name="tenantIds" options={tenants} error={form.fieldErrors.tenantIds} />
      <SubmitButton pending={form.pending} pendingText="Adding…">
        Add staff member
      </SubmitButton>
    </form>
  );
}

export function EditStaffForm({
  member,
  tenants,
  canMakePlatformAdmins,
}: {
  member: { id: string; name: string; role: string; active: boolean; platformAdmin: boolean; tenantIds: string[] };
  tenants: Option[];
  canMakePlatformAdmins: boolean;
}) {
  const form = useActionForm(updateStaffAction);
  return (
    <form {...form.formProps} className="space-y-2" aria-label={`Edit ${member.name}`}>
      <FormMessage error={form.formError} success={form.data?.message} />
      <input type="hidden" name="staffId" value={member.id} />
      <div className="grid gap-3 sm:grid-cols-2">
        <SelectField label={`Role of ${member.name}`} name="role" options={ROLES} defaultValue={member.role} error={form.fieldErrors.role} />
        <SelectField
          label={`Status of ${member.name}`}
          name="active"
          options={[
            { value: "true", label: "Active" },
            { value: "false", label: "Deactivated" },
          ]}
          defaultValue={String(member.active)}
          error={form.fieldErrors.active}
        />
        {canMakePlatformAdmins ? (
          <SelectField
            label={`Platform admin: ${member.name}`}
            name="platformAdmin"
            options={PLATFORM_ADMIN}
            defaultValue={String(member.platformAdmin)}
            error={form.fieldErrors.platformAdmin}
          />
        ) : null}
      </div>
      <CheckboxGroup legend={`Tenants of ${member.name}`} name="tenantIds" options={tenants} defaultValues={member.tenantIds} error={form.fieldErrors.tenantIds} />
      <SubmitButton pending={form.pending} variant="secondary" pendingText="Saving…">
        Save {member.name}
      </SubmitButton>
    </form>
  );
}

export function UnlockStaffForm({ staffId, name }: { staffId: string; name: string }) {
  const form = useActionForm(unlockStaffAction);
  return (
    <form {...form.formProps}>
      <input type="hidden" name="staffId" value={staffId} />
      <FormMessage error={form.formError} success={form.data?.message} />
      <SubmitButton pending={form.pending} variant="secondary" pendingText="Unlocking…">
        Unlock {name}
      </SubmitButton>
    </form>
  );
}

export function ResetSecondFactorForm({ staffId, name }: { staffId: string; name: string }) {
  const form = useActionForm(resetSecondFactorAction);
  return (
    <form {...form.formProps}>
      <input type="hidden" name="staffId" value={staffId} />
      <FormMessage error={form.formError} success={form.data?.message} />
      <SubmitButton pending={form.pending} variant="secondary" pendingText="Resetting…">
        Reset two-step sign-in of {name}
      </SubmitButton>
    </form>
  );
}
