import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { customers, tenants, type Customer, type PostalAddress } from "@/db/schema";
import type { Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { ConflictError, NotFoundError, ValidationError, fieldErrorsFromZod, type FieldError } from "@/lib/errors";
import { REQUIRED_LEVEL, higher, type VerifiedAction } from "@/lib/identity/policy";
import { requireVerification } from "@/lib/identity/verification";
import { heldCall } from "@/lib/interactions/interactions";
import { contactPointConfirmation, contactPointChangedNotice } from "@/lib/notifications/messages";
import { enqueueMessage } from "@/lib/notifications/outbox";
import { refuseCardData } from "@/lib/payments/card-numbers";
import { isSuppressed } from "@/lib/privacy-requests/suppression";
import { emitWebhook } from "@/lib/webhooks/webhooks";
import { sameFieldValue } from "./compare";
import { recordContactPointChanges } from "./contact-points";
import { maskEmail, maskPhone, maskedCustomerFields } from "./masking";
import { foldName } from "./names";
import { looksLikePhone, toE164 } from "./phone";
import { emailAddress, isoDate, languageTag, postalAddressSchema } from "./schema";

/** A field left empty on the form is left unchanged. */
const blankToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());

export const profileUpdateSchema = z.object({
  interactionId: z.uuid("Unknown call"),
  customerId: z.uuid("Unknown customer"),
  version: z.coerce.number().int().min(1),
  name: optional(z.string().trim().min(1).max(200, "must be at most 200 characters")),
  email: optional(emailAddress),
  // The shape here, so a bad number is reported with the other fields; the number itself is checked
  // against the tenant's country in updateProfile.
  phone: optional(
    z
      .string()
      .trim()
      .max(40, "must be at most 40 characters")
      .superRefine((value, ctx) => {
        if (!looksLikePhone(value)) ctx.addIssue({ code: "custom", message: `'${value}' is not a valid phone number` });
      }),
  ),
  addressLine1: optional(z.string().trim().max(200)),
  addressLine2: optional(z.string().trim().max(200)),
  city: optional(z.string().trim().max(100)),
  region: optional(z.string().trim().max(100)),
  postcode: optional(z.string().trim().max(20)),
  country: optional(z.string().trim()),
  dateOfBirth: optional(isoDate),
  language: optional(languageTag),
});

export type ProfileUpdate = z.output<typeof profileUpdateSchema>;

type Field = "name" | "email" | "phone" | "address" | "dateOfBirth" | "language";

const ACTION_FOR: Record<Field, VerifiedAction> = {
  name: "change_name",
  email: "change_email",
  phone: "change_phone",
  address: "change_address",
  dateOfBirth: "change_date_of_birth",
  language: "change_language",
};

const ADDRESS_PARTS = ["addressLine1", "addressLine2", "city", "region", "postcode", "country"] as const;

/** The new values the agent typed, validated as a whole: a new address must be complete. */
function changesFrom(input: ProfileUpdate, defaultCountry: string): Partial<Pick<Customer, Field>> {
  const changes: Partial<Pick<Customer, Field>> = {};
  const errors: FieldError[] = [];
  if (input.name !== undefined) changes.name = input.name;
  if (input.email !== undefined) changes.email = input.email;
  if (input.dateOfBirth !== undefined) changes.dateOfBirth = input.dateOfBirth;
  if (input.language !== undefined) changes.language = input.language;
  if (input.phone !== undefined) {
    const phone = toE164(input.phone, defaultCountry);
    if (phone) changes.phone = phone;
    else errors.push({ path: "phone", message: `'${input.phone}' is not a valid phone number: include the country code if it is not ${defaultCountry}` });
  }
  if (ADDRESS_PARTS.some((p) => input[p] !== undefined)) {
    const address = postalAddressSchema.safeParse({
      line1: input.addressLine1,
      line2: input.addressLine2 ?? null,
      city: input.city,
      region: input.region ?? null,
      postcode: input.postcode,
      country: input.country ?? defaultCountry,
    });
    if (address.success) changes.address = address.data;
    else errors.push(...fieldErrorsFromZod(address.error.issues).map((e) => ({ ...e, path: e.path === "line1" ? "addressLine1" : e.path === "line2" ? "addressLine2" : e.path })));
  }
  if (errors.length) throw new ValidationError(errors);
  if (Object.keys(changes).length === 0) throw new ValidationError([], "Type the new value of at least one field.");
  return changes;
}

function shown(field: Field, value: unknown): string {
  if (value === null || value === undefined) return "(empty)";
  if (field === "address") {
    const a = value as PostalAddress;
    return [a.line1, a.line2, a.city, a.region, a.postcode, a.country].filter(Boolean).join(", ");
  }
  return String(value);
}

/**
 * Changes a customer's details during a call. Each changed field asks for its own verification level
 * (a contact point or the address needs strong); a save based on an outdated version is refused with
 * the current values, never silently overwriting another agent's change. A new email or phone number
 * is announced to the old contact point and confirmed to the new one, in the same transaction.
 */
export async function updateProfile(db: Db, actor: Actor, input: ProfileUpdate, now = new Date()): Promise<Customer> {
  return db.transaction(async (tx) => {
    // The call decides the tenant and the customer: nothing is read for a customer outside it.
    const held = await heldCall(tx, actor, input.interactionId);
    if (held.customerId !== input.customerId) throw new ConflictError("This call is with another customer.");
    const [customer] = await tx.select().from(customers).where(and(eq(customers.tenantId, held.tenantId), eq(customers.id, held.customerId))).for("update");
    if (!customer) throw new NotFoundError("No such customer");
    const [tenant] = await tx.select().from(tenants).where(eq(tenants.id, customer.tenantId));
    const changes = changesFrom(input, tenant!.defaultCountry);
    const fields = Object.keys(changes) as Field[];
    const strictest = fields.map((f) => ACTION_FOR[f]).reduce((a, b) => (higher(REQUIRED_LEVEL[a], REQUIRED_LEVEL[b]) === REQUIRED_LEVEL[a] ? a : b));
    const { call, verification, level } = await requireVerification(tx, actor, input.interactionId, customer.id, strictest, now);
    if (customer.status !== "active") throw new ConflictError(`This customer is ${customer.status}; reactivate them before changing their details.`);
    if (customer.version !== input.version) {
      throw new ValidationError(
        fields.map((f) => ({ path: f === "address" ? "addressLine1" : f, message: `Changed by someone else while you were editing: it is now “${shown(f, customer[f])}”.` })),
        "Someone else saved changes to this customer after you opened it. Check the current values below, then save again.",
      );
    }
    const changed = fields.filter((f) => !sameFieldValue(customer[f], changes[f]));
    if (changed.length === 0) return customer;
    // B9(c): an email address or phone number erased at a customer's request is not typed back in,
    // onto this customer or another (as putCustomer refuses to import it).
    const suppressed: FieldError[] = [];
    if (changed.includes("email") && changes.email && (await isSuppressed(tx, customer.tenantId, { email: changes.email }))) {
      suppressed.push({ path: "email", message: "This email address was erased at a customer's request and cannot be added again. Ask for another one." });
    }
    if (changed.includes("phone") && changes.phone && (await isSuppressed(tx, customer.tenantId, { phone: changes.phone }))) {
      suppressed.push({ path: "phone", message: "This phone number was erased at a customer's request and cannot be added again. Ask for another one." });
    }
    if (suppressed.length) throw new ValidationError(suppressed);

    const [updated] = await tx
      .update(customers)
      .set({ ...changes, ...(changes.name ? { nameSearch: foldName(changes.name) } : {}), version: sql`${customers.version} + 1`, updatedAt: now })
      .where(and(eq(customers.tenantId, customer.tenantId), eq(customers.id, customer.id)))
      .returning();

    const contactChanges = (["email", "phone"] as const).filter((k) => changed.includes(k)).map((kind) => ({ kind, from: customer[kind], to: updated![kind] }));
    await recordContactPointChanges(tx, customer, contactChanges, call.id, now);
    for (const { kind, from, to } of contactChanges) {
      const channel = kind === "email" ? "email" : "sms";
      const masked = (kind === "email" ? maskEmail(to) : maskPhone(to)) ?? "(none)";
      if (from) {
        const notice = contactPointChangedNotice(tenant!.name, kind, masked, now);
        await enqueueMessage(tx, { tenantId: customer.tenantId, channel, template: `contact_point_changed.old`, recipient: from, subject: notice.subject, body: notice.body, customerId: customer.id, interactionId: call.id }, now);
      }
      if (to) {
        const confirmation = contactPointConfirmation(tenant!.name, kind, now);
        await enqueueMessage(tx, { tenantId: customer.tenantId, channel, template: `contact_point_changed.new`, recipient: to, subject: confirmation.subject, body: confirmation.body, customerId: customer.id, interactionId: call.id }, now);
      }
    }

    const pick = (c: Customer) => Object.fromEntries(changed.map((f) => [f, c[f]]));
    await recordAudit(tx, actor, {
      tenantId: customer.tenantId,
      action: "customer.profile_updated",
      entityType: "customer",
      entityId: customer.id,
      customerId: customer.id,
      interactionId: call.id,
      before: maskedCustomerFields(pick(customer)),
      after: maskedCustomerFields(pick(updated!)),
      reason: `caller verified (${level}), verification ${verification.id}`,
    });
    await emitWebhook(tx, customer.tenantId, "customer.updated", { customer: customer.ref, version: updated!.version, changed }, now);
    return updated!;
  });
}

export const revealSchema = z.object({
  interactionId: z.uuid("Unknown call"),
  customerId: z.uuid("Unknown customer"),
  field: z.enum(["email", "phone", "address", "dateOfBirth"], "Unknown field"),
});

/** One masked field in clear, for a verified caller; every reveal is audited. */
export async function revealField(db: Db, actor: Actor, input: z.output<typeof revealSchema>, now = new Date()): Promise<string> {
  return db.transaction(async (tx) => {
    const { call } = await requireVerification(tx, actor, input.interactionId, input.customerId, "reveal_personal_data", now);
    const [customer] = await tx.select().from(customers).where(and(eq(customers.tenantId, call.tenantId), eq(customers.id, call.customerId)));
    if (!customer) throw new NotFoundError("No such customer");
    await recordAudit(tx, actor, {
      tenantId: customer.tenantId,
      action: "customer.field_revealed",
      entityType: "customer",
      entityId: customer.id,
      customerId: customer.id,
      interactionId: call.id,
      after: { field: input.field },
    });
    return shown(input.field, customer[input.field]);
  });
}

export const statusChangeSchema = z.object({
  interactionId: z.uuid("Unknown call"),
  customerId: z.uuid("Unknown customer"),
  status: z.enum(["active", "inactive"], "Choose active or inactive"),
  reason: z.string().trim().min(3, "Give the reason").max(500, "At most 500 characters").superRefine(refuseCardData),
});

/** Inactivates or reactivates a profile during a call, with the reason the customer gave. */
export async function changeCustomerStatus(db: Db, actor: Actor, input: z.output<typeof statusChangeSchema>, now = new Date()): Promise<Customer> {
  return db.transaction(async (tx) => {
    const { call } = await requireVerification(tx, actor, input.interactionId, input.customerId, "change_status", now);
    const [customer] = await tx.select().from(customers).where(and(eq(customers.tenantId, call.tenantId), eq(customers.id, call.customerId))).for("update");
    if (!customer) throw new NotFoundError("No such customer");
    if (customer.status === "erased") throw new ConflictError("An erased customer cannot be reactivated.");
    if (customer.status === input.status) throw new ConflictError(`This customer is already ${input.status}.`);
    const [updated] = await tx
      .update(customers)
      .set({ status: input.status, statusReason: input.reason, version: sql`${customers.version} + 1`, updatedAt: now })
      .where(and(eq(customers.tenantId, customer.tenantId), eq(customers.id, customer.id)))
      .returning();
    await recordAudit(tx, actor, {
      tenantId: customer.tenantId,
      action: input.status === "inactive" ? "customer.inactivated" : "customer.reactivated",
      entityType: "customer",
      entityId: customer.id,
      customerId: customer.id,
      interactionId: call.id,
      before: { status: customer.status },
      after: { status: input.status },
      reason: input.reason,
    });
    await emitWebhook(tx, customer.tenantId, "customer.updated", { customer: customer.ref, version: updated!.version, changed: ["status"] }, now);
    return updated!;
  });
}
