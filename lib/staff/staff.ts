import { and, asc, eq, inArray, ne } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { staffRole, staffSessions, staffTenants, staffUsers, tenants, type StaffUser } from "@/db/schema";
import { assertPlatformAdmin, assignableTenantScope, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, fieldErrorsFromZod } from "@/lib/errors";
import { hashPassword } from "./passwords";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, weakPasswordReason } from "./policy";

const tenantIdsField = z.array(z.uuid("Unknown tenant"), "Assign at least one tenant");
/** A boolean, or "true"/"false" as a form posts it. */
const formBoolean = (message: string) => z.union([z.boolean(), z.stringbool()], message);

const personFields = {
  name: z.string().trim().min(1, "Name is required").max(120, "Name must be at most 120 characters"),
  email: z.email("Enter a valid email address").max(254).transform((e) => e.toLowerCase()),
  // The length here, so that it is reported with the other fields; the rest of the policy once they are valid.
  password: z
    .string("Password is required")
    .min(MIN_PASSWORD_LENGTH, `Password must be at least ${MIN_PASSWORD_LENGTH} characters`)
    .max(MAX_PASSWORD_LENGTH, `Password must be at most ${MAX_PASSWORD_LENGTH} characters`),
};

function refuseWeakPassword(input: { name: string; email: string; password: string }, ctx: z.RefinementCtx) {
  const reason = weakPasswordReason(input.password, input);
  if (reason) ctx.addIssue({ code: "custom", path: ["password"], message: reason });
}

export const createStaffSchema = z
  .object({
    ...personFields,
    role: z.enum(staffRole.enumValues, "Choose a role"),
    tenantIds: tenantIdsField.min(1, "Assign at least one tenant"),
    platformAdmin: formBoolean("Choose yes or no").optional(),
  })
  .superRefine(refuseWeakPassword);

/** The first admin of a deployment (`npm run create-admin`): a platform admin, who then creates tenants. */
export const platformAdminSchema = z.object(personFields).superRefine(refuseWeakPassword);

export const updateStaffSchema = z.object({
  staffId: z.uuid("Unknown staff member"),
  role: z.enum(staffRole.enumValues, "Choose a role"),
  /** Of the admin's own tenants; the member's other tenants are kept. A form with none ticked sends nothing. */
  tenantIds: tenantIdsField.default([]),
  active: formBoolean("Choose active or deactivated"),
  /** Left out: unchanged. */
  platformAdmin: formBoolean("Choose yes or no").optional(),
});

export const staffIdSchema = z.object({ staffId: z.uuid("Unknown staff member") });

export type StaffListItem = {
  id: string;
  name: string;
  email: string;
  role: (typeof staffRole.enumValues)[number];
  active: boolean;
  platformAdmin: boolean;
  lockedUntil: Date | null;
  /** Of the tenants the admin may assign; others the member works for are not shown. */
  tenantIds: string[];
};

const inScope = (scope: string[] | null, tenantIds: string[]) => (scope ? tenantIds.filter((id) => scope.includes(id)) : tenantIds);

/** The staff of the admin's tenants (everyone, for a platform admin), by name. */
export async function listStaff(db: Db, actor: Actor): Promise<StaffListItem[]> {
  const scope = assignableTenantScope(actor);
  const users = await db.select().from(staffUsers).orderBy(asc(staffUsers.name));
  const links = await db.select().from(staffTenants).where(scope ? inArray(staffTenants.tenantId, scope) : undefined);
  return users.flatMap((u) => {
    const tenantIds = links.filter((l) => l.staffId === u.id).map((l) => l.tenantId);
    if (scope && tenantIds.length === 0) return [];
    const { id, name, email, role, active, platformAdmin, lockedUntil } = u;
    return [{ id, name, email, role, active, platformAdmin, lockedUntil, tenantIds }];
  });
}

/** Refuses a tenant the admin may not give (another's, or none at all) as not found, before anything is written. */
async function assertAssignable(tx: Db, scope: string[] | null, tenantIds: string[]) {
  const unique = [...new Set(tenantIds)];
  if (unique.length === 0) return;
  if (scope && unique.some((id) => !scope.includes(id))) throw new NotFoundError("No such tenant");
  const found = await tx.select({ id: tenants.id }).from(tenants).where(inArray(tenants.id, unique));
  if (found.length !== unique.length) throw new NotFoundError("No such tenant");
}

/**
 * A staff member as an admin may act on them: one who works for a tenant of the admin's (anyone, for
 * a platform admin); anyone else is not found. Locked for the rest of the caller's transaction.
 */
export async function staffMemberFor(tx: Db, actor: Actor, staffId: string): Promise<{ user: StaffUser; tenantIds: string[] }> {
  const scope = assignableTenantScope(actor);
  const [user] = await tx.select().from(staffUsers).where(eq(staffUsers.id, staffId)).for("update");
  const links = user ? await tx.select({ tenantId: staffTenants.tenantId }).from(staffTenants).where(eq(staffTenants.staffId, staffId)) : [];
  const tenantIds = links.map((l) => l.tenantId);
  if (!user || (scope && inScope(scope, tenantIds).length === 0)) throw new NotFoundError("No such staff member");
  return { user, tenantIds };
}

/**
 * Adds a staff member to tenants the admin holds (any, for a platform admin). Only a platform admin
 * makes another; a platform admin alone may start with no tenant, since they create tenants.
 */
export async function createStaff(
  db: Db,
  actor: Actor,
  input: Omit<z.output<typeof createStaffSchema>, "tenantIds"> & { tenantIds: string[] },
): Promise<{ id: string }> {
  const scope = assignableTenantScope(actor);
  const platformAdmin = input.platformAdmin ?? false;
  if (platformAdmin) assertPlatformAdmin(actor);
  if (platformAdmin && input.role !== "admin") throw ValidationError.field("role", "A platform admin must have the admin role");
  if (!platformAdmin && input.tenantIds.length === 0) throw ValidationError.field("tenantIds", "Assign at least one tenant");
  const passwordHash = await hashPassword(input.password);
  const tenantIds = [...new Set(input.tenantIds)];
  return db.transaction(async (tx) => {
    await assertAssignable(tx, scope, tenantIds);
    const [clash] = await tx.select({ id: staffUsers.id }).from(staffUsers).where(eq(staffUsers.email, input.email));
    if (clash) throw ValidationError.field("email", "A staff member with this email already exists");
    const [user] = await tx
      .insert(staffUsers)
      .values({ name: input.name, email: input.email, role: input.role, platformAdmin, passwordHash })
      .returning({ id: staffUsers.id });
    if (tenantIds.length) await tx.insert(staffTenants).values(tenantIds.map((tenantId) => ({ tenantId, staffId: user!.id })));
    await recordAudit(tx, actor, {
      tenantId: null,
      action: "staff.created",
      entityType: "staff_user",
      entityId: user!.id,
      after: { email: input.email, role: input.role, platformAdmin, tenantIds },
    });
    return user!;
  });
}

/** `npm run create-admin`: an active platform admin with no tenant yet, audited as the command. */
export async function createPlatformAdmin(db: Db, actor: Actor, input: z.input<typeof platformAdminSchema>): Promise<{ id: string }> {
  const parsed = platformAdminSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(fieldErrorsFromZod(parsed.error.issues));
  return createStaff(db, actor, { ...parsed.data, role: "admin", platformAdmin: true, tenantIds: [] });
}

/**
 * Changes a staff member's role, tenants or active flag. The change reaches their very next request
 * (sessions read the account on every request); deactivating also ends their open sessions. An admin
 * changes only the tenants they hold (the member's others are kept), and changes the role or status
 * only of someone who works for none but theirs: those decide what the member may do in every tenant.
 * Only a platform admin changes a platform admin, or makes one.
 */
export async function updateStaff(db: Db, actor: Actor, input: z.output<typeof updateStaffSchema>): Promise<void> {
  const { staffId, role, active, ...change } = input;
  const scope = assignableTenantScope(actor);
  const self = actor.type === "staff" && actor.id === staffId;
  if (self && (!active || role !== "admin" || change.platformAdmin === false)) {
    throw new ForbiddenError("You cannot deactivate yourself or remove your own admin role.");
  }
  await db.transaction(async (tx) => {
    const { user: before, tenantIds: beforeTenantIds } = await staffMemberFor(tx, actor, staffId);
    await assertAssignable(tx, scope, change.tenantIds);
    const platformAdmin = change.platformAdmin ?? before.platformAdmin;
    if (before.platformAdmin || platformAdmin) assertPlatformAdmin(actor);
    if (platformAdmin && role !== "admin") throw ValidationError.field("role", "A platform admin must have the admin role");
    const kept = scope ? beforeTenantIds.filter((id) => !scope.includes(id)) : [];
    if (kept.length && (role !== before.role || active !== before.active)) {
      throw new ForbiddenError(`${before.name} also works for tenants you do not administer: a platform admin changes their role or status.`);
    }
    const tenantIds = [...new Set([...kept, ...change.tenantIds])];
    if (tenantIds.length === 0) throw ValidationError.field("tenantIds", "Assign at least one tenant");
    if (before.role === "admin" && (role !== "admin" || !active)) {
      const [otherAdmin] = await tx
        .select({ id: staffUsers.id })
        .from(staffUsers)
        .where(and(eq(staffUsers.role, "admin"), eq(staffUsers.active, true), ne(staffUsers.id, staffId)))
        .limit(1);
      if (!otherAdmin) throw new ConflictError("This is the last active admin; make another admin first.");
    }
    await tx.update(staffUsers).set({ role, active, platformAdmin, updatedAt: new Date() }).where(eq(staffUsers.id, staffId));
    await tx.delete(staffTenants).where(eq(staffTenants.staffId, staffId));
    await tx.insert(staffTenants).values(tenantIds.map((tenantId) => ({ tenantId, staffId })));
    if (!active) {
      await tx.update(staffSessions).set({ endedAt: new Date() }).where(eq(staffSessions.staffId, staffId));
    }
    await recordAudit(tx, actor, {
      tenantId: null,
      action: active === before.active ? "staff.updated" : active ? "staff.reactivated" : "staff.deactivated",
      entityType: "staff_user",
      entityId: staffId,
      before: { role: before.role, active: before.active, platformAdmin: before.platformAdmin, tenantIds: beforeTenantIds },
      after: { role, active, platformAdmin, tenantIds },
    });
  });
}

/** Lifts a sign-in lockout before its 15 minutes are up, e.g. after the person has been identified. */
export async function unlockStaff(db: Db, actor: Actor, staffId: string): Promise<void> {
  await db.transaction(async (tx) => {
    await staffMemberFor(tx, actor, staffId);
    await tx.update(staffUsers).set({ lockedUntil: null, failedSignIns: 0 }).where(eq(staffUsers.id, staffId));
    await recordAudit(tx, actor, { tenantId: null, action: "staff.unlocked", entityType: "staff_user", entityId: staffId });
  });
}
