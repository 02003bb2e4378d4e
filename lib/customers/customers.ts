import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { customers, tenants, type Customer } from "@/db/schema";
import { assertTenantAccess, tenantScope, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { NotFoundError, ValidationError, fieldErrorsFromZod } from "@/lib/errors";
import { isSuppressed } from "@/lib/privacy-requests/suppression";
import { emitWebhook } from "@/lib/webhooks/webhooks";
import { sameFieldValue } from "./compare";
import { recordContactPointChanges } from "./contact-points";
import { maskedCustomerFields } from "./masking";
import { foldName } from "./names";
import { toE164 } from "./phone";
import { customerInputSchema, customerRefSchema, type CustomerInput } from "./schema";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A customer by id, within the tenants the actor may see; anything else is NotFound. */
export async function getCustomer(db: Db, actor: Actor, customerId: string): Promise<Customer> {
  const scope = tenantScope(actor);
  if (!UUID.test(customerId) || scope?.length === 0) throw new NotFoundError("No such customer");
  const [row] = await db
    .select()
    .from(customers)
    .where(and(eq(customers.id, customerId), scope ? inArray(customers.tenantId, scope) : undefined))
    .limit(1);
  if (!row) throw new NotFoundError("No such customer");
  return row;
}

export async function findCustomerByRef(db: Db, actor: Actor, tenantId: string, ref: string): Promise<Customer | null> {
  assertTenantAccess(actor, tenantId);
  const [row] = await db
    .select()
    .from(customers)
    .where(and(eq(customers.tenantId, tenantId), eq(customers.ref, ref.trim())))
    .limit(1);
  return row ?? null;
}

/**
 * Creates or replaces a customer addressed by the tenant's own reference (PUT semantics: a field
 * left out is cleared). Every invalid field is reported at once; nothing is written unless all are
 * valid. Erased customers cannot be brought back this way.
 */
export async function putCustomer(
  db: Db,
  actor: Actor,
  tenantId: string,
  rawRef: string,
  input: CustomerInput,
): Promise<{ created: boolean; customer: Customer }> {
  assertTenantAccess(actor, tenantId);
  const [tenant] = await db.select().from(tenants).where(eq(tenants.id, tenantId));
  if (!tenant) throw new NotFoundError("No such tenant");

  const errors = [];
  const refResult = customerRefSchema.safeParse(rawRef);
  if (!refResult.success) errors.push(...fieldErrorsFromZod(refResult.error.issues).map((e) => ({ ...e, path: "ref" })));
  // The reference as validated (trimmed): ` ACME-0001 ` is ACME-0001, not a second customer.
  const ref = refResult.success ? refResult.data : rawRef;
  const parsed = customerInputSchema.safeParse(input);
  if (!parsed.success) errors.push(...fieldErrorsFromZod(parsed.error.issues));
  let phone: string | null = null;
  const rawPhone = parsed.success ? parsed.data.phone : typeof input?.phone === "string" ? input.phone : null;
  if (rawPhone) {
    phone = toE164(rawPhone, tenant.defaultCountry);
    if (!phone && !errors.some((e) => e.path === "phone")) {
      errors.push({ path: "phone", message: `'${rawPhone}' is not a valid phone number for ${tenant.defaultCountry} or in international format` });
    }
  }
  if (errors.length || !parsed.success) throw new ValidationError(errors);

  const data = parsed.data;
  const values = {
    name: data.name,
    nameSearch: foldName(data.name),
    email: data.email ?? null,
    phone,
    address: data.address ?? null,
    dateOfBirth: data.dateOfBirth ?? null,
    language: data.language ?? null,
  };

  return db.transaction(async (tx) => {
    // A reference not yet created has no row to lock: serialise its writes, so that two first PUTs at
    // once make one customer (the second then updates it) rather than a unique-key error.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`customer:${tenantId}:${ref}`}))`);
    const [existing] = await tx
      .select()
      .from(customers)
      .where(and(eq(customers.tenantId, tenantId), eq(customers.ref, ref)))
      .for("update");
    if (existing?.status === "erased") {
      throw new ValidationError([{ path: "ref", message: "this customer was erased and cannot be recreated under the same reference" }]);
    }
    // B9(c): an address or number erased at a customer's request is not brought back by an import,
    // under this reference or another. A value the customer already has is left alone.
    const suppressed = [];
    if (values.email && values.email.toLowerCase() !== existing?.email?.toLowerCase() && (await isSuppressed(tx, tenantId, { email: values.email }))) {
      suppressed.push({ path: "email", message: "this email address was erased at the customer's request and may not be imported again" });
    }
    if (values.phone && values.phone !== existing?.phone && (await isSuppressed(tx, tenantId, { phone: values.phone }))) {
      suppressed.push({ path: "phone", message: "this phone number was erased at the customer's request and may not be imported again" });
    }
    if (suppressed.length) throw new ValidationError(suppressed);
    if (!existing) {
      const [created] = await tx
        .insert(customers)
        .values({ tenantId, ref, ...values })
        .returning();
      await recordContactPointChanges(tx, created!, [
        { kind: "email", from: null, to: created!.email },
        { kind: "phone", from: null, to: created!.phone },
      ], null);
      await recordAudit(tx, actor, {
        tenantId,
        action: "customer.created",
        entityType: "customer",
        entityId: created!.id,
        customerId: created!.id,
        after: maskedCustomerFields(values),
      });
      return { created: true, customer: created! };
    }
    const changed = changedFields(existing, values);
    if (changed.length === 0) return { created: false, customer: existing };
    const [updated] = await tx
      .update(customers)
      .set({ ...values, version: sql`${customers.version} + 1`, updatedAt: new Date() })
      .where(and(eq(customers.tenantId, tenantId), eq(customers.id, existing.id)))
      .returning();
    await recordContactPointChanges(tx, existing, [
      { kind: "email", from: existing.email, to: updated!.email },
      { kind: "phone", from: existing.phone, to: updated!.phone },
    ], null);
    await recordAudit(tx, actor, {
      tenantId,
      action: "customer.updated",
      entityType: "customer",
      entityId: existing.id,
      customerId: existing.id,
      before: maskedCustomerFields(pick(existing, changed)),
      after: maskedCustomerFields(pick(values, changed)),
    });
    await emitWebhook(tx, tenantId, "customer.updated", { customer: ref, version: updated!.version, changed });
    return { created: false, customer: updated! };
  });
}

type Values = Pick<Customer, "name" | "email" | "phone" | "address" | "dateOfBirth" | "language">;
const FIELDS = ["name", "email", "phone", "address", "dateOfBirth", "language"] as const;

function changedFields(before: Values, after: Values): (typeof FIELDS)[number][] {
  return FIELDS.filter((f) => !sameFieldValue(before[f], after[f]));
}

function pick<T extends Values>(row: T, fields: readonly (typeof FIELDS)[number][]): Partial<Values> {
  return Object.fromEntries(fields.map((f) => [f, row[f]])) as Partial<Values>;
}
