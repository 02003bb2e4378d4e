import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { consentChannel, customers, notices, tenants, type ConsentChannel, type ConsentEvent } from "@/db/schema";
import type { Actor } from "@/lib/actor";
import { assertTenantAccess } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { NotFoundError, ValidationError, fieldErrorsFromZod, type FieldError } from "@/lib/errors";
import { toE164 } from "@/lib/customers/phone";
import { emailAddress } from "@/lib/customers/schema";
import { refuseCardData } from "@/lib/payments/card-numbers";
import { purposeByKey } from "./check";
import { appendGrantAwaitingConfirmation, confirmationNeeded } from "./confirmation";
import { STATUS_AFTER, appendConsentEvent } from "./ledger";

/** A consent captured outside Attest (web form, IVR, import), as API.md's POST /api/v1/consents takes it. */
export const externalConsentSchema = z.object({
  customer: z.string().trim().min(1, "is required"),
  purpose: z.string().trim().min(1, "is required"),
  channel: z.enum(consentChannel.enumValues, "must be one of email, sms, phone, post, in_app"),
  action: z.enum(["grant", "refuse", "withdraw"], "must be grant, refuse or withdraw"),
  method: z.enum(["web", "written", "ivr", "api", "import"], "must be web, written, ivr, api or import"),
  notice: z.uuid("must be a notice version id").optional(),
  occurredAt: z.iso.datetime({ offset: true, error: "must be an ISO 8601 time with offset" }).optional(),
  contactPoint: z.string().trim().max(254).optional(),
  evidence: z
    .object({ ip: z.string().max(64).optional(), userAgent: z.string().max(1000).optional(), text: z.string().max(5000).superRefine(refuseCardData).optional() })
    .strict()
    .optional(),
});

export type RecordedConsent = { event: { id: string; customer: string; purpose: string; channel: string; action: string; method: string; occurredAt: string; validUntil: string | null; status: string; receiptUrl: string } };

/**
 * Records a consent event another system captured. Every invalid field is reported at once; a grant
 * must cite a published notice that covers the purpose (RULES.md A5); nothing is in the future.
 */
export async function recordExternalConsent(db: Db, actor: Actor, tenantId: string, body: unknown, now = new Date()): Promise<RecordedConsent> {
  assertTenantAccess(actor, tenantId);
  const parsed = externalConsentSchema.safeParse(body);
  const errors: FieldError[] = parsed.success ? [] : fieldErrorsFromZod(parsed.error.issues);
  const input = parsed.success ? parsed.data : null;
  // Checked on the raw body too, so that these are reported along with any other invalid field.
  const raw = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const occurredAt = typeof raw.occurredAt === "string" && !Number.isNaN(Date.parse(raw.occurredAt)) ? new Date(raw.occurredAt) : now;
  if (occurredAt > now) errors.push({ path: "occurredAt", message: "may not be in the future" });

  return db.transaction(async (tx) => {
    const purpose =
      typeof raw.purpose === "string" && raw.purpose.trim()
        ? await purposeByKey(tx, tenantId, raw.purpose.trim()).catch((e: unknown) => (e instanceof ValidationError ? (errors.push(...e.fieldErrors), null) : Promise.reject(e)))
        : null;
    if (purpose && input && !purpose.channels.includes(input.channel)) errors.push({ path: "channel", message: `purpose '${purpose.key}' does not use the channel '${input.channel}'` });
    if (input?.action === "grant" && !input.notice) errors.push({ path: "notice", message: "a grant must cite the notice version the customer saw or heard" });
    if (input?.notice && purpose) {
      const [notice] = await tx.select().from(notices).where(and(eq(notices.tenantId, tenantId), eq(notices.id, input.notice)));
      if (!notice) errors.push({ path: "notice", message: "no such notice version" });
      else if (!notice.purposeKeys.includes(purpose.key)) errors.push({ path: "notice", message: `this notice does not cover the purpose '${purpose.key}'` });
    }
    const [customer] = input ? await tx.select().from(customers).where(and(eq(customers.tenantId, tenantId), eq(customers.ref, input.customer))) : [];
    const [tenant] = await tx.select({ defaultCountry: tenants.defaultCountry, emailDoubleOptIn: tenants.emailDoubleOptIn }).from(tenants).where(eq(tenants.id, tenantId));
    let contactPoint: string | null = null;
    if (input?.contactPoint) {
      contactPoint = normaliseContactPoint(input.channel, input.contactPoint, tenant!.defaultCountry);
      if (!contactPoint) errors.push({ path: "contactPoint", message: `is not a valid ${input.channel === "email" ? "email address" : "phone number"} for the channel '${input.channel}'` });
    }
    if (errors.length || !input || !purpose) throw new ValidationError(errors);
    if (!customer) throw new NotFoundError(`No customer with ref '${input.customer}'.`);

    const newEvent = {
      tenantId,
      customerId: customer.id,
      purpose,
      channel: input.channel,
      action: input.action,
      method: input.method,
      noticeId: input.notice ?? null,
      evidence: input.evidence ?? null,
      occurredAt,
      contactPoint,
    };
    // Double opt-in and explicit consent (A8): the grant waits for the customer's confirmation link.
    const confirmation = input.action === "grant" ? confirmationNeeded(tenant!, purpose, input.channel) : null;
    const event: ConsentEvent = confirmation
      ? await appendGrantAwaitingConfirmation(tx, actor, newEvent, confirmation, now)
      : await appendConsentEvent(tx, actor, newEvent, now);
    await recordAudit(tx, actor, {
      tenantId,
      action: `consent.${event.action}`,
      entityType: "consent_event",
      entityId: event.id,
      customerId: customer.id,
      after: { purpose: purpose.key, channel: input.channel, method: input.method },
    });
    return {
      event: {
        id: event.id,
        customer: input.customer,
        purpose: purpose.key,
        channel: input.channel,
        action: input.action,
        method: input.method,
        occurredAt: event.occurredAt.toISOString(),
        validUntil: event.validUntil?.toISOString() ?? null,
        status: STATUS_AFTER[event.action],
        receiptUrl: `/api/v1/consents/${event.id}/receipt`,
      },
    };
  });
}

/** A contact point in the form the ledger hashes it: E.164 for phones, lower case for email; null if invalid. */
function normaliseContactPoint(channel: ConsentChannel, value: string, defaultCountry: string): string | null {
  if (channel === "email") {
    const email = emailAddress.safeParse(value);
    return email.success ? email.data : null;
  }
  if (channel === "sms" || channel === "phone") return toE164(value, defaultCountry);
  return value.trim() || null;
}
