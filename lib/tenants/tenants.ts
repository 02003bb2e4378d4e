import { asc, eq, inArray } from "drizzle-orm";
import { getCountries } from "libphonenumber-js/max";
import { z } from "zod";
import type { Db } from "@/db/client";
import { staffTenants, tenants, type Tenant } from "@/db/schema";
import { assertAdminOf, assertPlatformAdmin, assignableTenantScope, tenantScope, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { ConflictError, NotFoundError } from "@/lib/errors";
import { RULE_PACK_KEYS } from "./rule-packs";

const COUNTRIES = new Set<string>(getCountries());

export const tenantFieldsSchema = z.object({
  name: z.string().trim().min(1, "Name is required").max(120, "Name must be at most 120 characters"),
  rulePacks: z.array(z.enum(RULE_PACK_KEYS, "Unknown rule-pack"), "Choose at least one rule-pack").min(1, "Choose at least one rule-pack"),
  defaultCountry: z
    .string()
    .trim()
    .transform((c) => c.toUpperCase())
    .refine((c) => COUNTRIES.has(c), "Choose a country (two-letter ISO code such as GB or US)"),
  /** Verification policy: may two knowledge checks reach strong without a one-time code? Off by default (RULES.md G1). */
  knowledgeOnlyStrong: z.union([z.boolean(), z.stringbool()]).default(false),
  /** Email grants count only once the customer follows a confirmation link (double opt-in). */
  emailDoubleOptIn: z.union([z.boolean(), z.stringbool()]).default(false),
  /**
   * Agents assigned to this tenant must sign in with a second factor (supervisors and admins always
   * do). Left out, a new tenant does not require it and an update keeps what was set.
   */
  agentMfaRequired: z.union([z.boolean(), z.stringbool()]).optional(),
});

export const createTenantSchema = tenantFieldsSchema.extend({
  key: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z][a-z0-9-]{1,39}$/, "Key must be 2–40 lower-case letters, digits or dashes, starting with a letter"),
});

export const updateTenantSchema = tenantFieldsSchema.extend({ tenantId: z.uuid("Unknown tenant") });

/** Tenants the actor works for: an admin's are the ones they administer. */
export function listTenants(db: Db, actor: Actor): Promise<Tenant[]> {
  return tenantsIn(db, tenantScope(actor));
}

/** Tenants an admin may give staff: their own, or every tenant for a platform admin. */
export function listAssignableTenants(db: Db, actor: Actor): Promise<Tenant[]> {
  return tenantsIn(db, assignableTenantScope(actor));
}

async function tenantsIn(db: Db, scope: string[] | null): Promise<Tenant[]> {
  if (scope?.length === 0) return [];
  return db
    .select()
    .from(tenants)
    .where(scope ? inArray(tenants.id, scope) : undefined)
    .orderBy(asc(tenants.name));
}

/**
 * A platform admin's alone. The admin who creates it is assigned to it at once, so that its keys,
 * purposes and staff can be set up; other admins see it once a platform admin assigns them.
 */
export async function createTenant(db: Db, actor: Actor, input: z.output<typeof createTenantSchema>): Promise<Tenant> {
  assertPlatformAdmin(actor);
  return db.transaction(async (tx) => {
    const [clash] = await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.key, input.key));
    if (clash) throw new ConflictError(`A tenant with key '${input.key}' already exists.`);
    const [tenant] = await tx.insert(tenants).values(input).returning();
    if (actor.type === "staff") await tx.insert(staffTenants).values({ tenantId: tenant!.id, staffId: actor.id });
    await recordAudit(tx, actor, {
      tenantId: tenant!.id,
      action: "tenant.created",
      entityType: "tenant",
      entityId: tenant!.id,
      after: { ...input, ...(actor.type === "staff" ? { assignedStaffIds: [actor.id] } : {}) },
    });
    return tenant!;
  });
}

export async function updateTenant(db: Db, actor: Actor, input: z.output<typeof updateTenantSchema>): Promise<Tenant> {
  assertAdminOf(actor, input.tenantId);
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(tenants).where(eq(tenants.id, input.tenantId)).for("update");
    if (!before) throw new NotFoundError("No such tenant");
    const { tenantId, ...fields } = input;
    const [after] = await tx
      .update(tenants)
      .set({ ...fields, updatedAt: new Date() })
      .where(eq(tenants.id, tenantId))
      .returning();
    await recordAudit(tx, actor, {
      tenantId,
      action: "tenant.updated",
      entityType: "tenant",
      entityId: tenantId,
      before: { name: before.name, rulePacks: before.rulePacks, defaultCountry: before.defaultCountry, knowledgeOnlyStrong: before.knowledgeOnlyStrong, emailDoubleOptIn: before.emailDoubleOptIn, agentMfaRequired: before.agentMfaRequired },
      after: fields,
    });
    return after!;
  });
}
