import { and, asc, eq, inArray, ne } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { staffRole, staffSessions, staffTenants, staffUsers, tenants } from "@/db/schema";
import { assertRole, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "@/lib/errors";
import { hashPassword } from "./passwords";
import { MIN_PASSWORD_LENGTH } from "./policy";

const tenantIdsField = z.array(z.uuid("Unknown tenant"), "Assign at least one tenant").min(1, "Assign at least one tenant");

export const createStaffSchema = z.object({
  name: z.string().trim().min(1, "Name is required").max(120, "Name must be at most 120 characters"),
  email: z.email("Enter a valid email address").max(254).transform((e) => e.toLowerCase()),
  role: z.enum(staffRole.enumValues, "Choose a role"),
  tenantIds: tenantIdsField,
  password: z
    .string()
    .min(MIN_PASSWORD_LENGTH, `Password must be at least ${MIN_PASSWORD_LENGTH} characters`)
    .max(200, "Password must be at most 200 characters"),
});

export const updateStaffSchema = z.object({
  staffId: z.uuid("Unknown staff member"),
  role: z.enum(staffRole.enumValues, "Choose a role"),
  tenantIds: tenantIdsField,
  /** A boolean, or "true"/"false" as a form posts it. */
  active: z.union([z.boolean(), z.stringbool()], "Choose active or deactivated"),
});

export const staffIdSchema = z.object({ staffId: z.uuid("Unknown staff member") });

export type StaffListItem = {
  id: string;
  name: string;
  email: string;
  role: (typeof staffRole.enumValues)[number];
  active: boolean;
  lockedUntil: Date | null;
  tenantIds: string[];
};

export async function listStaff(db: Db, actor: Actor): Promise<StaffListItem[]> {
  assertRole(actor, "admin");
  const users = await db.select().from(staffUsers).orderBy(asc(staffUsers.name));
  const links = await db.select().from(staffTenants);
  return users.map((u) => ({
    id: u.id,
    name: u.name,
    email: u.email,
    role: u.role,
    active: u.active,
    lockedUntil: u.lockedUntil,
    tenantIds: links.filter((l) => l.staffId === u.id).map((l) => l.tenantId),
  }));
}

async function assertTenantsExist(tx: Db, tenantIds: string[]) {
  const found = await tx.select({ id: tenants.id }).from(tenants).where(inArray(tenants.id, tenantIds));
  if (found.length !== new Set(tenantIds).size) throw ValidationError.field("tenantIds", "Unknown tenant");
}

export async function createStaff(db: Db, actor: Actor, input: z.output<typeof createStaffSchema>): Promise<{ id: string }> {
  assertRole(actor, "admin");
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    await assertTenantsExist(tx, input.tenantIds);
    const [clash] = await tx.select({ id: staffUsers.id }).from(staffUsers).where(eq(staffUsers.email, input.email));
    if (clash) throw ValidationError.field("email", "A staff member with this email already exists");
    const [user] = await tx
      .insert(staffUsers)
      .values({ name: input.name, email: input.email, role: input.role, passwordHash })
      .returning({ id: staffUsers.id });
    await tx.insert(staffTenants).values(input.tenantIds.map((tenantId) => ({ tenantId, staffId: user!.id })));
    await recordAudit(tx, actor, {
      tenantId: null,
      action: "staff.created",
      entityType: "staff_user",
      entityId: user!.id,
      after: { email: input.email, role: input.role, tenantIds: input.tenantIds },
    });
    return user!;
  });
}

/**
 * Changes a staff member's role, tenants or active flag. The change reaches their very next request
 * (sessions read the account on every request); deactivating also ends their open sessions.
 */
export async function updateStaff(db: Db, actor: Actor, input: z.output<typeof updateStaffSchema>): Promise<void> {
  assertRole(actor, "admin");
  if (actor.type === "staff" && actor.id === input.staffId && (!input.active || input.role !== "admin")) {
    throw new ForbiddenError("You cannot deactivate yourself or remove your own admin role.");
  }
  await db.transaction(async (tx) => {
    const [before] = await tx.select().from(staffUsers).where(eq(staffUsers.id, input.staffId)).for("update");
    if (!before) throw new NotFoundError("No such staff member");
    await assertTenantsExist(tx, input.tenantIds);
    const beforeTenants = await tx.select().from(staffTenants).where(eq(staffTenants.staffId, input.staffId));
    if (before.role === "admin" && (input.role !== "admin" || !input.active)) {
      const [otherAdmin] = await tx
        .select({ id: staffUsers.id })
        .from(staffUsers)
        .where(and(eq(staffUsers.role, "admin"), eq(staffUsers.active, true), ne(staffUsers.id, input.staffId)))
        .limit(1);
      if (!otherAdmin) throw new ConflictError("This is the last active admin; make another admin first.");
    }
    await tx
      .update(staffUsers)
      .set({ role: input.role, active: input.active, updatedAt: new Date() })
      .where(eq(staffUsers.id, input.staffId));
    await tx.delete(staffTenants).where(eq(staffTenants.staffId, input.staffId));
    await tx.insert(staffTenants).values(input.tenantIds.map((tenantId) => ({ tenantId, staffId: input.staffId })));
    if (!input.active) {
      await tx.update(staffSessions).set({ endedAt: new Date() }).where(eq(staffSessions.staffId, input.staffId));
    }
    await recordAudit(tx, actor, {
      tenantId: null,
      action: input.active === before.active ? "staff.updated" : input.active ? "staff.reactivated" : "staff.deactivated",
      entityType: "staff_user",
      entityId: input.staffId,
      before: { role: before.role, active: before.active, tenantIds: beforeTenants.map((t) => t.tenantId) },
      after: { role: input.role, active: input.active, tenantIds: input.tenantIds },
    });
  });
}

/** Lifts a sign-in lockout before its 15 minutes are up, e.g. after the person has been identified. */
export async function unlockStaff(db: Db, actor: Actor, staffId: string): Promise<void> {
  assertRole(actor, "admin");
  await db.transaction(async (tx) => {
    const [user] = await tx
      .update(staffUsers)
      .set({ lockedUntil: null, failedSignIns: 0 })
      .where(eq(staffUsers.id, staffId))
      .returning({ id: staffUsers.id });
    if (!user) throw new NotFoundError("No such staff member");
    await recordAudit(tx, actor, { tenantId: null, action: "staff.unlocked", entityType: "staff_user", entityId: staffId });
  });
}
