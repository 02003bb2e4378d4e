import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import {
  customers,
  privacyRequestChannel,
  privacyRequestType,
  privacyRequests,
  tenants,
  type Customer,
  type PrivacyRequest,
  type PrivacyRequestChannel,
  type PrivacyRequestStatus,
  type PrivacyRequestType,
} from "@/db/schema";
import { assertTenantAccess, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { applyToPurposes, objectToMarketing, purposesOfCategory, type ChoiceOccasion } from "@/lib/consent/capture";
import { ConflictError, NotFoundError, ValidationError, fieldErrorsFromZod } from "@/lib/errors";
import { verifiedLevel } from "@/lib/identity/verification";
import { heldCall } from "@/lib/interactions/interactions";
import { enqueueMessage } from "@/lib/notifications/outbox";
import { customerContact } from "@/lib/notifications/recipients";
import { refuseCardData } from "@/lib/payments/card-numbers";
import { emitWebhook, type WebhookEventData } from "@/lib/webhooks/webhooks";
import { deadlineFor, deadlineState, type DeadlineState } from "./deadlines";
import { dayWords, requestAcknowledgement, requestCompleted } from "./messages";
import { applyRestriction } from "./restriction";

/** The consent category an opt-out of sale or sharing covers (CCPA, RULES.md D3–D4). */
export const SALE_OR_SHARE_CATEGORY = "sale_or_share";

/**
 * Types carried out the moment they are logged, whoever the caller is: stopping is always safe. An
 * opt-out of sale or sharing is not a verifiable request (D3), and an objection to direct marketing is
 * absolute (B13). Every other type needs the caller strongly verified, or waits as identity_pending.
 */
const IMMEDIATE_TYPES: readonly PrivacyRequestType[] = ["opt_out_sale_share", "objection"];
export const needsIdentity = (type: PrivacyRequestType) => !IMMEDIATE_TYPES.includes(type);

export const ACTIVE_STATUSES: readonly PrivacyRequestStatus[] = ["identity_pending", "open", "in_progress", "awaiting_release"];
export const isActive = (status: PrivacyRequestStatus) => ACTIVE_STATUSES.includes(status);

/** Overdue, due soon or on track: a closed request is never late. */
export const requestDeadline = (r: Pick<PrivacyRequest, "status" | "dueAt">, now: Date): DeadlineState => (isActive(r.status) ? deadlineState(r.dueAt, now) : "on_track");

const words = (what: string, min: number) =>
  z
    .string(`Type ${what}`)
    .trim()
    .min(min, `Type ${what}`)
    .max(2000, "At most 2,000 characters")
    .superRefine(refuseCardData);

/** Logged by an agent during a call, in the customer's own words (B1: no form, no magic words). */
export const logRequestSchema = z.object({
  interactionId: z.uuid("Unknown call"),
  customerId: z.uuid("Unknown customer"),
  type: z.enum(privacyRequestType.enumValues, "Choose what the customer is asking for"),
  customerWords: words("what the customer asked, in their words", 3),
});

/** API.md "Privacy requests": POST /api/v1/privacy-requests. */
export const apiRequestSchema = z.object(
  {
    customer: z.string("is required").trim().min(1, "is required").max(200, "must be at most 200 characters"),
    type: z.enum(privacyRequestType.enumValues, `must be one of ${privacyRequestType.enumValues.join(", ")}`),
    channel: z.enum(privacyRequestChannel.enumValues, `must be one of ${privacyRequestChannel.enumValues.join(", ")}`),
    receivedAt: z.iso.datetime({ offset: true, error: "must be an ISO 8601 time with offset" }).optional(),
  },
  "must be a JSON object",
);

/** How far back the tenant's systems may date a request, and how far ahead their clock may run. */
const OLDEST_RECEIPT_YEARS = 1;
const CLOCK_SKEW_MS = 5 * 60_000;

/** What the API answers for a request (API.md). */
export function requestRecord(r: PrivacyRequest) {
  return {
    id: r.id,
    type: r.type,
    status: r.status,
    receivedAt: r.receivedAt.toISOString(),
    dueAt: r.dueAt.toISOString(),
    extended: r.extendedAt !== null,
    acknowledgeBy: r.acknowledgeBy?.toISOString() ?? null,
    acknowledgedAt: r.acknowledgedAt?.toISOString() ?? null,
    completedAt: r.completedAt?.toISOString() ?? null,
    resolution: r.resolution,
  };
}

type NewRequest = {
  customer: Pick<Customer, "tenantId" | "id" | "ref">;
  type: PrivacyRequestType;
  channel: PrivacyRequestChannel;
  receivedAt: Date;
  interactionId: string | null;
  verificationLevel: PrivacyRequest["verificationLevel"];
  identityPendingReason: string | null;
  customerWords: string | null;
};

/** A request as logged, and whether a written confirmation went to a contact point on file. */
export type LoggedRequest = PrivacyRequest & { writtenConfirmation: boolean };

/**
 * Writes a new request with its deadline, acknowledges it to the customer (D1), audits it and tells
 * the tenant's systems, all in the caller's transaction. On a call the agent's read-back is the
 * confirmation of receipt ("by phone the confirmation may be oral"), so a request logged on a call is
 * acknowledged at once; the written one follows when there is an email or phone on file. The types
 * that take effect at once are carried out here too.
 */
async function openRequest(tx: Db, actor: Actor, input: NewRequest, occasion: ChoiceOccasion, now: Date): Promise<LoggedRequest> {
  const [tenant] = await tx.select({ name: tenants.name, rulePacks: tenants.rulePacks }).from(tenants).where(eq(tenants.id, input.customer.tenantId));
  const deadline = deadlineFor({ rulePacks: tenant!.rulePacks, type: input.type, clockStartsAt: input.receivedAt, receivedAt: input.receivedAt });
  const status: PrivacyRequestStatus = input.identityPendingReason ? "identity_pending" : "open";
  const contact = await customerContact(tx, input.customer.tenantId, input.customer.id);
  const [request] = await tx
    .insert(privacyRequests)
    .values({
      tenantId: input.customer.tenantId,
      customerId: input.customer.id,
      type: input.type,
      status,
      channel: input.channel,
      regime: deadline.regime,
      receivedAt: input.receivedAt,
      clockStartedAt: input.receivedAt,
      dueAt: deadline.dueAt,
      originalDueAt: deadline.dueAt,
      acknowledgeBy: deadline.acknowledgeBy,
      acknowledgedAt: (input.interactionId ?? contact?.route) ? now : null,
      interactionId: input.interactionId,
      verificationLevel: input.verificationLevel,
      identityPendingReason: input.identityPendingReason,
      customerWords: input.customerWords,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  await recordAudit(tx, actor, {
    tenantId: request!.tenantId,
    action: "privacy_request.logged",
    entityType: "privacy_request",
    entityId: request!.id,
    customerId: request!.customerId,
    interactionId: input.interactionId,
    after: { type: request!.type, status: request!.status, channel: request!.channel, regime: request!.regime, dueAt: request!.dueAt.toISOString(), verificationLevel: input.verificationLevel },
    reason: input.identityPendingReason,
  });

  if (request!.type === "restriction" && status === "open") await applyRestriction(tx, actor, request!, now);
  const carriedOut = needsIdentity(input.type) ? null : await carryOutImmediately(tx, actor, request!, tenant!.name, occasion, input.customerWords, now);
  if (contact?.route) {
    const message = carriedOut ? requestCompleted(contact.tenantName, request!.type, carriedOut) : requestAcknowledgement(contact.tenantName, request!.type, request!.receivedAt, request!.dueAt, status === "identity_pending", deadline.regime);
    await enqueueMessage(tx, { tenantId: request!.tenantId, channel: contact.route.channel, template: carriedOut ? "privacy_request.completed" : "privacy_request.received", recipient: contact.route.to, ...message, customerId: request!.customerId, interactionId: input.interactionId }, now);
  }
  const stored = carriedOut ? await finish(tx, actor, request!, carriedOut, now) : request!;
  await announce(tx, input.customer.ref, stored, now);
  return { ...stored, writtenConfirmation: Boolean(contact?.route) };
}

/**
 * An opt-out of sale or sharing, or an objection to direct marketing: in the ledger now, on every
 * channel. A brand with no purpose that sells or shares has nothing to stop, and says so; the request
 * stays on record.
 */
async function carryOutImmediately(tx: Db, actor: Actor, request: PrivacyRequest, tenantName: string, occasion: ChoiceOccasion, customerWords: string | null, now: Date): Promise<string> {
  const evidence = customerWords ? { customerWords } : null;
  if (request.type === "objection") {
    const recorded = await objectToMarketing(tx, actor, occasion, evidence, now);
    return `Every marketing purpose is now stopped on every channel (${recorded} ${recorded === 1 ? "choice" : "choices"} recorded).`;
  }
  const saleOrShare = await purposesOfCategory(tx, request.tenantId, SALE_OR_SHARE_CATEGORY);
  if (saleOrShare.length === 0) return `${tenantName} does not sell or share personal information for any purpose, so there was nothing to stop; your request is on record.`;
  const recorded = await applyToPurposes(tx, actor, occasion, { purposes: saleOrShare, action: "refuse", evidence, reason: "opt-out of sale or sharing (no verification needed: CCPA §7026)" }, now);
  return `Your personal information is no longer sold or shared (${recorded} ${recorded === 1 ? "choice" : "choices"} recorded).`;
}

async function finish(tx: Db, actor: Actor, request: PrivacyRequest, resolution: string, now: Date): Promise<PrivacyRequest> {
  const [done] = await tx
    .update(privacyRequests)
    .set({ status: "completed", resolution, completedAt: now, completedBy: actor.type === "staff" ? actor.id : null, version: sql`${privacyRequests.version} + 1`, updatedAt: now })
    .where(and(eq(privacyRequests.tenantId, request.tenantId), eq(privacyRequests.id, request.id)))
    .returning();
  await recordAudit(tx, actor, {
    tenantId: request.tenantId,
    action: "privacy_request.completed",
    entityType: "privacy_request",
    entityId: request.id,
    customerId: request.customerId,
    before: { status: request.status },
    after: { status: "completed" },
    reason: "resolution recorded on the request",
  });
  return done!;
}

/**
 * `privacy_request.updated` to the tenant's systems: references and states only. The resolution is
 * left out: it may be a supervisor's own words, and a stored webhook body outlives erasure (the API's
 * GET, which reads the request as it now is, still shows it).
 */
export async function announce(tx: Db, customerRef: string, r: PrivacyRequest, now: Date): Promise<void> {
  // The same record as the API's, without the resolution: typed text does not go out with webhooks.
  const { resolution: _resolution, ...record } = requestRecord(r);
  const data: WebhookEventData["privacy_request.updated"] = { customer: customerRef, ...record };
  await emitWebhook(tx, r.tenantId, "privacy_request.updated", data, now);
}

/**
 * An agent logs what the caller asks during the call: the clock starts now (B1). The caller's
 * verification at this moment decides whether work can start (strong) or the request waits as
 * identity_pending with that reason recorded; no identity document is asked for by default (B4).
 */
export async function logPrivacyRequest(db: Db, actor: Actor, input: z.output<typeof logRequestSchema>, now = new Date()): Promise<LoggedRequest> {
  return db.transaction(async (tx) => {
    const call = await heldCall(tx, actor, input.interactionId);
    if (call.customerId !== input.customerId) throw new ConflictError("This call is with another customer.");
    const [customer] = await tx.select().from(customers).where(and(eq(customers.tenantId, call.tenantId), eq(customers.id, call.customerId))).for("update");
    if (!customer) throw new NotFoundError("No such customer");
    if (customer.status === "erased") throw new ConflictError("This customer's data has been erased.");
    // A second click (or a second log of what the caller already asked) in the same call is the same request.
    const [already] = await tx
      .select()
      .from(privacyRequests)
      .where(and(eq(privacyRequests.tenantId, call.tenantId), eq(privacyRequests.customerId, customer.id), eq(privacyRequests.interactionId, call.id), eq(privacyRequests.type, input.type)));
    if (already) return { ...already, writtenConfirmation: Boolean((await customerContact(tx, call.tenantId, customer.id))?.route) };
    await refuseDuplicate(tx, customer, input.type);
    // The caller's level now: none while the customer's verification is locked.
    const level = await verifiedLevel(tx, call, now);
    const identityPendingReason =
      needsIdentity(input.type) && level !== "strong"
        ? `The caller was ${level === "none" ? "not verified" : "verified at basic level only"} on the call; a strong check (a code to a contact point on file plus a knowledge check) confirms it is them.`
        : null;
    return openRequest(
      tx,
      actor,
      { customer, type: input.type, channel: call.channel === "chat" ? "chat" : "phone", receivedAt: now, interactionId: call.id, verificationLevel: level, identityPendingReason, customerWords: input.customerWords },
      { tenantId: call.tenantId, customerId: call.customerId, interactionId: call.id, recordingRef: call.recordingRef, method: "verbal" },
      now,
    );
  });
}

/**
 * A request the tenant's systems received (their web form, their email inbox, a GPC signal). The
 * tenant's own checks are not ours to vouch for, so a type that needs identity starts as
 * identity_pending for a supervisor to confirm; the opt-out and the objection take effect at once.
 */
export async function createPrivacyRequest(db: Db, actor: Actor, tenantId: string, body: unknown, now = new Date()): Promise<PrivacyRequest> {
  assertTenantAccess(actor, tenantId);
  // The bounds are checked beside the other fields, so that one answer lists every invalid field (API.md).
  // A few minutes ahead is the sender's clock running fast, and is taken as now.
  const oldest = new Date(now);
  oldest.setUTCFullYear(oldest.getUTCFullYear() - OLDEST_RECEIPT_YEARS);
  const inBounds = apiRequestSchema.shape.receivedAt
    .refine((at) => at === undefined || !(new Date(at).getTime() > now.getTime() + CLOCK_SKEW_MS), "may not be in the future")
    .refine((at) => at === undefined || !(new Date(at) < oldest), "may not be more than a year ago");
  const parsed = apiRequestSchema.extend({ receivedAt: inBounds }).safeParse(body);
  if (!parsed.success) throw new ValidationError(fieldErrorsFromZod(parsed.error.issues));
  const input = parsed.data;
  const receivedAt = input.receivedAt && new Date(input.receivedAt) < now ? new Date(input.receivedAt) : now;
  return db.transaction(async (tx) => {
    const [customer] = await tx.select().from(customers).where(and(eq(customers.tenantId, tenantId), eq(customers.ref, input.customer))).for("update");
    if (!customer) throw new NotFoundError(`No customer with ref '${input.customer}'.`);
    if (customer.status === "erased") throw new ConflictError("This customer's data has been erased.");
    await refuseDuplicate(tx, customer, input.type);
    const method = input.channel === "gpc" ? "gpc" : input.channel === "web" ? "web" : input.channel === "post" ? "written" : "api";
    return openRequest(
      tx,
      actor,
      {
        customer,
        type: input.type,
        channel: input.channel,
        receivedAt,
        interactionId: null,
        verificationLevel: "none",
        identityPendingReason: needsIdentity(input.type) ? `Received by the tenant's systems (${input.channel}); confirm the requester's identity against what we hold.` : null,
        customerWords: null,
      },
      { tenantId, customerId: customer.id, interactionId: null, recordingRef: null, method },
      now,
    );
  });
}

/** The same customer asking again while the first request of that type is still being worked is the same request. */
async function refuseDuplicate(tx: Db, customer: Pick<Customer, "tenantId" | "id">, type: PrivacyRequestType): Promise<void> {
  if (!needsIdentity(type)) return;
  const open = await tx
    .select({ id: privacyRequests.id, status: privacyRequests.status, dueAt: privacyRequests.dueAt, regime: privacyRequests.regime })
    .from(privacyRequests)
    .where(and(eq(privacyRequests.tenantId, customer.tenantId), eq(privacyRequests.customerId, customer.id), eq(privacyRequests.type, type)));
  const active = open.find((r) => isActive(r.status));
  if (active) throw new ConflictError(`This customer already has an open ${type.replaceAll("_", " ")} request (due ${dayWords(active.dueAt, active.regime)}); it covers this one.`);
}

/** One request, for anyone who may see its tenant's customers. */
export async function getPrivacyRequest(db: Db, actor: Actor, tenantId: string, requestId: string): Promise<PrivacyRequest> {
  assertTenantAccess(actor, tenantId);
  if (!z.uuid().safeParse(requestId).success) throw new NotFoundError("No such privacy request");
  const [request] = await db.select().from(privacyRequests).where(and(eq(privacyRequests.tenantId, tenantId), eq(privacyRequests.id, requestId)));
  if (!request) throw new NotFoundError("No such privacy request");
  return request;
}

/** A customer's requests, newest first: for the customer page. */
export async function customerPrivacyRequests(db: Db, actor: Actor, customer: Pick<Customer, "tenantId" | "id">): Promise<PrivacyRequest[]> {
  assertTenantAccess(actor, customer.tenantId);
  return db
    .select()
    .from(privacyRequests)
    .where(and(eq(privacyRequests.tenantId, customer.tenantId), eq(privacyRequests.customerId, customer.id)))
    .orderBy(sql`${privacyRequests.receivedAt} desc`);
}

/**
 * What the request page says about the requester's identity: "confirmed" only when it was, by a
 * strong check on the call or by a supervisor; the types carried out at once need none.
 */
export function identityFact(r: PrivacyRequest): string {
  if (!needsIdentity(r.type)) return "not needed (takes effect at once, whoever asks)";
  if (r.identityConfirmedAt) {
    const restarted = r.clockStartedAt > r.receivedAt ? `; the information arrived on ${dayWords(r.clockStartedAt, r.regime)}, and the clock runs from then` : "";
    return `confirmed on ${dayWords(r.identityConfirmedAt, r.regime)}: ${r.identityMethod ?? "how is not recorded"}${restarted}`;
  }
  if (!r.identityPendingReason) return r.interactionId ? `confirmed on the call: the caller was ${r.verificationLevel === "strong" ? "strongly verified" : `verified at ${r.verificationLevel} level`}` : "not recorded";
  return r.status === "identity_pending" ? `pending: ${r.identityPendingReason}` : `never confirmed (the request closed first): ${r.identityPendingReason}`;
}
