import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { staffSessions, staffUsers, type StaffRole } from "@/db/schema";
import { systemActor, type StaffActor } from "@/lib/actor";
import { resolveSession } from "@/lib/staff/sessions";
import { createStaff } from "@/lib/staff/staff";
import { DEMO_PASSWORD } from "../demo-data";

/**
 * The actor of a staff member's session, opened directly: for tests about what an account may do
 * once signed in, whatever the sign-in steps (password, second factor) are.
 */
export async function sessionActor(db: Db, email: string): Promise<StaffActor> {
  const [user] = await db.select({ id: staffUsers.id }).from(staffUsers).where(eq(staffUsers.email, email));
  if (!user) throw new Error(`no staff member ${email}`);
  const [session] = await db.insert(staffSessions).values({ staffId: user.id }).returning({ id: staffSessions.id });
  const actor = await resolveSession(db, session!.id, null);
  if (!actor) throw new Error(`no session for ${email}`);
  return actor;
}

/** A new staff member of the given tenants (made through the domain, by the system), signed in. */
export async function newStaffActor(
  db: Db,
  role: StaffRole,
  tenantIds: string[],
  options: { platformAdmin?: boolean } = {},
): Promise<StaffActor> {
  const email = `${role}.${randomBytes(4).toString("hex")}@test.test`;
  await createStaff(db, systemActor("test"), {
    email,
    name: `Test ${role}`,
    role,
    password: DEMO_PASSWORD,
    tenantIds,
    ...options,
  });
  return sessionActor(db, email);
}
