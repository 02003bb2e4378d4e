import { and, asc, eq, inArray, isNotNull, isNull, ne, or, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { z } from "zod";
import type { Db } from "@/db/client";
import {
  accessPackages,
  consentDisputes,
  consentEvents,
  consentEvidence,
  contactPointHistory,
  customerPreferences,
  customerSecurity,
  customers,
  devMailbox,
  interactions,
  outboxAttempts,
  outboxMessages,
  paymentMethods,
  privacyRequests,
  retentionHolds,
  staffUsers,
  subscriptionChanges,
  subscriptions,
  tenants,
  verificationAlerts,
  type Customer,
  type PaymentMethod,
  type PrivacyRequest,
  type Subscription,
} from "@/db/schema";
import { assertRole, assertTenantAccess, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { foldName } from "@/lib/customers/names";
import { toE164 } from "@/lib/customers/phone";
import { ConflictError, ValidationError, fieldErrorsFromZod } from "@/lib/errors";
import { enqueueMessage, maskedRecipient } from "@/lib/notifications/outbox";
import { contactOnFile } from "@/lib/notifications/recipients";
import { unseal } from "@/lib/notifications/sealed";
import { vaultFromEnv } from "@/lib/payments/vault";
import { endSubscriptionNow } from "@/lib/subscriptions/subscriptions";
import { emitWebhook } from "@/lib/webhooks/webhooks";
import { erasureCompleted } from "./messages";
import { mustBeActive, requestOf, requestStep } from "./queue";
import { announce, isActive } from "./requests";
import { auditTrailRetention, callRecordingRetention, retentionFor, type RetentionCategory, type RetentionDecision } from "./retention";
import { suppressContactPoints } from "./suppression";

/*
 * Erasure (GDPR Art. 17, CCPA §1798.105; RULES.md B9, B13, D9, I5): erase what can be erased,
 * restrict what must be kept (with its legal basis and deletion date in retention_holds), keep a
 * hashed suppression entry of every email and phone number so the customer is never marketed to or
 * imported again, keep the request itself, and tell the customer what was kept and why. All of it in
 * one transaction, through requestStep (locked, version-checked, audited, announced).
 *
 * What stays of the customer row is its id and `ref`. The ref is the tenant's own account reference:
 * the `customer.erased` webhook names it so that every system of the tenant can find and erase its
 * copy, and the kept records (billing, requests, consent ledger) hang off the row. A ref is a
 * pseudonymous identifier, personal data only together with the tenant's own records; a tenant that
 * used an email address or phone number as its ref would make it personal in itself, and that ref is
 * then listed in the plan as kept so that the supervisor sees it before confirming.
 */

export const ERASED_NAME = "Erased customer";
/**
 * What replaces text a person typed into a record that is kept (a supervisor's note, a reason, a
 * resolution): such text may name the customer in any form (a first name, a nickname, a street, a
 * date of birth), which no search for their details can be sure to find, so it goes whole.
 */
export const CLEARED = "[cleared at the customer's erasure]";

export const carryOutErasureSchema = z.object({
  requestId: z.uuid("Unknown request"),
  version: z.coerce.number("Reload the page").int().positive(),
});

export type KeptRecord = { what: string; basis: string; deleteAfter: string | null };
export type ErasurePlan = { erase: string[]; keep: KeptRecord[] };

// ---------------------------------------------------------------------------------------------------
// What the customer's data is, everywhere

type Survey = {
  customer: Customer;
  tenant: { name: string; rulePacks: string[]; defaultCountry: string };
  emails: string[];
  phones: string[];
  contactHistory: number;
  security: boolean;
  preferences: boolean;
  interactionIds: string[];
  /** The references of the calls' recordings: the recordings themselves are in the brand's call recorder. */
  recordingRefs: string[];
  consentEvents: number;
  evidence: number;
  disputesWithIp: number;
  messageIds: string[];
  accessPackages: number;
  requestsWithWords: number;
  /** Kept records holding text staff typed (a note, a reason, a resolution), cleared whole. */
  staffNotes: number;
  /** The customer's other requests still being worked: nothing will be left to act on. */
  otherOpenRequests: Pick<PrivacyRequest, "id" | "type">[];
  paymentMethods: PaymentMethod[];
  subscriptions: Subscription[];
  lastChargeAt: Date | null;
};

const count = sql<number>`count(*)::int`;

/** Everything held about the customer, read (and, for what erasure changes, locked) in `tx`, for the erasure request `requestId`. */
async function survey(tx: Db, customer: Customer, requestId: string, lock: boolean): Promise<Survey> {
  const { tenantId, id: customerId } = customer;
  const [tenant] = await tx.select({ name: tenants.name, rulePacks: tenants.rulePacks, defaultCountry: tenants.defaultCountry }).from(tenants).where(eq(tenants.id, tenantId));
  const history = await tx.select().from(contactPointHistory).where(and(eq(contactPointHistory.tenantId, tenantId), eq(contactPointHistory.customerId, customerId)));
  const emails = distinct([customer.email, ...history.filter((h) => h.kind === "email").map((h) => h.value)].map((e) => e?.trim().toLowerCase()));
  const phones = distinct([customer.phone, ...history.filter((h) => h.kind === "phone").map((h) => h.value)].map((p) => (p ? (toE164(p, tenant!.defaultCountry) ?? p.trim()) : null)));
  const [security] = await tx.select({ n: count }).from(customerSecurity).where(and(eq(customerSecurity.tenantId, tenantId), eq(customerSecurity.customerId, customerId)));
  const [preferences] = await tx.select({ n: count }).from(customerPreferences).where(and(eq(customerPreferences.tenantId, tenantId), eq(customerPreferences.customerId, customerId)));
  const calls = await tx
    .select({ id: interactions.id, recordingRef: interactions.recordingRef })
    .from(interactions)
    .where(and(eq(interactions.tenantId, tenantId), eq(interactions.customerId, customerId)))
    .orderBy(asc(interactions.startedAt));
  const interactionIds = calls.map((c) => c.id);
  const eventsOfCustomer = tx.select({ id: consentEvents.id }).from(consentEvents).where(and(eq(consentEvents.tenantId, tenantId), eq(consentEvents.customerId, customerId)));
  const [events] = await tx.select({ n: count }).from(consentEvents).where(and(eq(consentEvents.tenantId, tenantId), eq(consentEvents.customerId, customerId)));
  const [evidence] = await tx.select({ n: count }).from(consentEvidence).where(and(eq(consentEvidence.tenantId, tenantId), inArray(consentEvidence.eventId, eventsOfCustomer)));
  const [disputes] = await tx.select({ n: count }).from(consentDisputes).where(and(eq(consentDisputes.tenantId, tenantId), eq(consentDisputes.customerId, customerId), isNotNull(consentDisputes.ip)));
  const messages = await tx
    .select({ id: outboxMessages.id })
    .from(outboxMessages)
    .where(
      and(
        eq(outboxMessages.tenantId, tenantId),
        inArray(outboxMessages.channel, ["email", "sms"]),
        or(eq(outboxMessages.customerId, customerId), interactionIds.length ? inArray(outboxMessages.interactionId, interactionIds) : undefined),
      ),
    );
  const [packages] = await tx.select({ n: count }).from(accessPackages).where(and(eq(accessPackages.tenantId, tenantId), eq(accessPackages.customerId, customerId), isNotNull(accessPackages.contents)));
  const [words] = await tx.select({ n: count }).from(privacyRequests).where(and(eq(privacyRequests.tenantId, tenantId), eq(privacyRequests.customerId, customerId), isNotNull(privacyRequests.customerWords)));
  const notes = await staffNotesOf(tx, tenantId, customerId);
  const othersQuery = tx
    .select({ id: privacyRequests.id, type: privacyRequests.type, status: privacyRequests.status })
    .from(privacyRequests)
    .where(and(eq(privacyRequests.tenantId, tenantId), eq(privacyRequests.customerId, customerId), ne(privacyRequests.id, requestId)))
    .orderBy(asc(privacyRequests.receivedAt));
  const others = (lock ? await othersQuery.for("update") : await othersQuery).filter((r) => isActive(r.status));
  const methodsQuery = tx.select().from(paymentMethods).where(and(eq(paymentMethods.tenantId, tenantId), eq(paymentMethods.customerId, customerId)));
  const subscriptionsQuery = tx.select().from(subscriptions).where(and(eq(subscriptions.tenantId, tenantId), eq(subscriptions.customerId, customerId)));
  // Locked so that the renewal sweep or an agent's change cannot move them while they are ended and masked.
  const methods = lock ? await methodsQuery.for("update") : await methodsQuery;
  const subs = lock ? await subscriptionsQuery.for("update") : await subscriptionsQuery;
  const [changes] = await tx
    .select({ last: sql<string | null>`max(${subscriptionChanges.effectiveAt})` })
    .from(subscriptionChanges)
    .where(and(eq(subscriptionChanges.tenantId, tenantId), eq(subscriptionChanges.customerId, customerId)));
  const billingDates = [...subs.map((s) => s.currentPeriodStart), ...subs.flatMap((s) => (s.cancelledAt ? [s.cancelledAt] : [])), ...(changes?.last ? [new Date(changes.last)] : [])];
  return {
    customer,
    tenant: tenant!,
    emails,
    phones,
    contactHistory: history.length,
    security: (security?.n ?? 0) > 0,
    preferences: (preferences?.n ?? 0) > 0,
    interactionIds,
    recordingRefs: distinct(calls.map((c) => c.recordingRef)),
    consentEvents: events?.n ?? 0,
    evidence: evidence?.n ?? 0,
    disputesWithIp: disputes?.n ?? 0,
    messageIds: messages.map((m) => m.id),
    accessPackages: packages?.n ?? 0,
    requestsWithWords: words?.n ?? 0,
    staffNotes: notes,
    otherOpenRequests: others.map(({ id, type }) => ({ id, type })),
    paymentMethods: methods,
    subscriptions: subs,
    lastChargeAt: billingDates.length ? new Date(Math.max(...billingDates.map((d) => d.getTime()))) : null,
  };
}

/** Where staff type text into records of the customer that erasure keeps: the typed column, and what marks a row as holding such text. */
function typedTextColumns(tenantId: string, customerId: string) {
  const of = (t: { tenantId: AnyPgColumn; customerId: AnyPgColumn }) => and(eq(t.tenantId, tenantId), eq(t.customerId, customerId));
  return {
    requests: and(
      of(privacyRequests),
      or(isNotNull(privacyRequests.identityMethod), isNotNull(privacyRequests.extensionReason), isNotNull(privacyRequests.rejectionReason), isNotNull(privacyRequests.rejectionResponse), isNotNull(privacyRequests.resolution)),
    ),
    packages: and(of(accessPackages), isNotNull(accessPackages.reviewNote)),
    disputes: and(of(consentDisputes), isNotNull(consentDisputes.closingNote)),
    alerts: and(of(verificationAlerts), isNotNull(verificationAlerts.closingNote)),
    // "erasure" is the reason erasure itself writes: not typed.
    subscriptions: and(of(subscriptions), isNotNull(subscriptions.statusReason), ne(subscriptions.statusReason, "erasure")),
    changes: and(of(subscriptionChanges), isNotNull(subscriptionChanges.reason), ne(subscriptionChanges.reason, "erasure")),
  };
}

async function staffNotesOf(tx: Db, tenantId: string, customerId: string): Promise<number> {
  const where = typedTextColumns(tenantId, customerId);
  let n = 0;
  for (const query of [
    () => tx.select({ n: count }).from(privacyRequests).where(where.requests),
    () => tx.select({ n: count }).from(accessPackages).where(where.packages),
    () => tx.select({ n: count }).from(consentDisputes).where(where.disputes),
    () => tx.select({ n: count }).from(verificationAlerts).where(where.alerts),
    () => tx.select({ n: count }).from(subscriptions).where(where.subscriptions),
    () => tx.select({ n: count }).from(subscriptionChanges).where(where.changes),
  ]) {
    n += (await query())[0]?.n ?? 0;
  }
  return n;
}

const distinct = (values: (string | null | undefined)[]) => [...new Set(values.filter((v): v is string => Boolean(v)))];
const running = (s: Subscription) => s.status !== "cancelled";
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What carrying out will do and keep, from the survey: the one source of the plan, the holds and the notice. */
function planOf(s: Survey, now: Date): { erase: string[]; keep: RetentionDecision[] } {
  const erase = [
    `The customer's name, email address, phone number, postal address, date of birth and language: the record keeps only its reference ${s.customer.ref}, marked erased, so that the brand's systems can match the erasure`,
  ];
  if (s.contactHistory) erase.push(`${plural(s.contactHistory, "earlier or current email address or phone number", "earlier or current email addresses and phone numbers")} (the contact history)`);
  if (s.security) erase.push("The security question and its answer, and the password-reset and two-step settings");
  if (s.preferences) erase.push("The marketing preferences (topics and how often)");
  if (s.interactionIds.length) erase.push(`The caller number and the notes of ${plural(s.interactionIds.length, "call")}${s.recordingRefs.length ? " (the references of their recordings are kept: see below)" : ""}`);
  if (s.evidence) erase.push(`The words, IP address and browser recorded with ${plural(s.evidence, "consent choice")} (the choices themselves are kept: see below)`);
  if (s.disputesWithIp) erase.push(`The IP address of ${plural(s.disputesWithIp, "report")} that a consent was not the customer's`);
  if (s.messageIds.length) erase.push(`${plural(s.messageIds.length, "message")} to the customer: the address masked, the subject and text removed (any not yet sent are cancelled)`);
  if (s.accessPackages) erase.push(`The files of ${plural(s.accessPackages, "access package")}`);
  if (s.requestsWithWords) erase.push(`What the customer said in ${plural(s.requestsWithWords, "privacy request")} (the requests themselves are kept: see below)`);
  if (s.staffNotes) erase.push(`What staff wrote on ${plural(s.staffNotes, "kept record")} (notes, reasons, outcomes, how identity was confirmed): cleared whole, since it may name the customer; the dates, types and outcomes stay`);
  if (s.otherOpenRequests.length) {
    const types = s.otherOpenRequests.map((r) => r.type.replaceAll("_", " "));
    erase.push(`${s.otherOpenRequests.length === 1 ? `The customer's open ${types[0]} request is` : `The customer's ${s.otherOpenRequests.length} other open requests (${types.join(", ")}) are`} closed as completed by this erasure: nothing is left to act on`);
  }
  if (s.paymentMethods.length) erase.push(`The holder name and billing address of ${plural(s.paymentMethods.length, "payment method")}, and their tokens in the payment vault`);
  const live = s.subscriptions.filter(running);
  if (live.length) erase.push(`${live.length === 1 ? "The subscription ends" : `${live.length} subscriptions end`} now: cancelled for the erasure, the unused part credited`);

  const packs = s.tenant.rulePacks;
  const keep: RetentionDecision[] = [];
  if (s.subscriptions.length || s.paymentMethods.length) {
    // Cancelling now is itself a billing event (the credit): the period runs from it.
    keep.push(retentionFor("billing_records", packs, { erasedAt: now, lastChargeAt: live.length ? now : s.lastChargeAt }));
  }
  keep.push(retentionFor("privacy_requests", packs, { erasedAt: now }));
  if (s.consentEvents) keep.push(retentionFor("consent_ledger", packs, { erasedAt: now }));
  if (s.recordingRefs.length) keep.push(callRecordingRetention(packs, { erasedAt: now }));
  if (s.emails.length || s.phones.length) keep.push(retentionFor("suppression_list", packs, { erasedAt: now }));
  keep.push(auditTrailRetention(keep));
  if (refIsContactPoint(s)) keep.push(retentionFor("customer_reference", packs, { erasedAt: now }));
  return { erase, keep };
}

function refIsContactPoint(s: Survey): boolean {
  const ref = s.customer.ref.trim().toLowerCase();
  return ref.includes("@") || s.emails.includes(ref) || s.phones.some((p) => p === ref || p.replace(/\D/g, "") === ref.replace(/\D/g, ""));
}

const asKept = (k: RetentionDecision): KeptRecord => ({ what: k.what, basis: k.basis, deleteAfter: k.deleteAfter?.toISOString() ?? null });

async function customerOfRequest(tx: Db, request: PrivacyRequest, lock: boolean): Promise<Customer> {
  const where = and(eq(customers.tenantId, request.tenantId), eq(customers.id, request.customerId));
  const [customer] = lock ? await tx.select().from(customers).where(where).for("update") : await tx.select().from(customers).where(where);
  return customer!;
}

/**
 * What carrying out an erasure request will erase, and what it will keep, why and until when: for the
 * supervisor's confirmation screen. Once carried out, what was kept.
 */
export async function erasurePlan(db: Db, actor: Actor, requestId: string, now = new Date()): Promise<ErasurePlan> {
  assertRole(actor, "supervisor", "admin");
  const request = await requestOf(db, actor, requestId);
  assertTenantAccess(actor, request.tenantId);
  if (request.type !== "erasure") throw new ConflictError("This is not an erasure request.");
  const customer = await customerOfRequest(db, request, false);
  if (customer.status === "erased") return { erase: [], keep: request.kept ?? [] };
  const plan = planOf(await survey(db, customer, request.id, false), now);
  return { erase: plan.erase, keep: plan.keep.map(asKept) };
}

// ---------------------------------------------------------------------------------------------------
// Carrying it out

type Erased = Record<string, number>;

/** The ground of a refusal (B5), the code a rejection reason starts with: what D9 keeps as the basis of the denial. */
const REFUSAL_GROUNDS = ["manifestly_unfounded", "excessive"] as const;
const groundOf = (rejectionReason: string) => REFUSAL_GROUNDS.find((g) => rejectionReason === g || rejectionReason.startsWith(`${g}:`)) ?? null;

async function eraseEverywhere(tx: Db, actor: Actor, s: Survey, request: PrivacyRequest, now: Date): Promise<Erased> {
  const { tenantId, id: customerId } = s.customer;
  const erased: Erased = {};

  // Billing first: the subscription ends now (with its change row, as a cancellation is recorded), the
  // vault forgets the tokens, and the methods keep only what the billing record needs.
  for (const sub of s.subscriptions.filter(running)) {
    await endSubscriptionNow(tx, actor, sub, "erasure", now);
    erased.subscriptionsCancelled = (erased.subscriptionsCancelled ?? 0) + 1;
  }
  const vault = vaultFromEnv();
  for (const method of s.paymentMethods) {
    if (!method.removedAt) await vault.remove(tx, tenantId, method.vaultToken, now);
    await tx
      .update(paymentMethods)
      .set({ holderName: null, billingAddress: null, isDefault: false, removedAt: method.removedAt ?? now })
      .where(and(eq(paymentMethods.tenantId, tenantId), eq(paymentMethods.id, method.id)));
  }
  erased.paymentMethods = s.paymentMethods.length;

  // Text staff typed into the records that are kept goes whole (see CLEARED).
  const typed = typedTextColumns(tenantId, customerId);
  await tx.update(subscriptions).set({ statusReason: CLEARED }).where(typed.subscriptions);
  await tx.update(subscriptionChanges).set({ reason: CLEARED }).where(typed.changes);
  await tx.update(consentDisputes).set({ closingNote: CLEARED }).where(typed.disputes);
  await tx.update(verificationAlerts).set({ closingNote: CLEARED }).where(typed.alerts);
  await tx.update(accessPackages).set({ reviewNote: CLEARED }).where(typed.packages);
  erased.staffNotes = s.staffNotes;

  const ofCustomer = (t: { tenantId: AnyPgColumn; customerId: AnyPgColumn }) => and(eq(t.tenantId, tenantId), eq(t.customerId, customerId));
  erased.contactPoints = (await tx.delete(contactPointHistory).where(ofCustomer(contactPointHistory)).returning({ id: contactPointHistory.id })).length;
  erased.securitySettings = (await tx.delete(customerSecurity).where(ofCustomer(customerSecurity)).returning({ id: customerSecurity.customerId })).length;
  erased.preferences = (await tx.delete(customerPreferences).where(ofCustomer(customerPreferences)).returning({ id: customerPreferences.customerId })).length;
  erased.callNotes = (await tx.update(interactions).set({ callerNumber: null, summary: null }).where(ofCustomer(interactions)).returning({ id: interactions.id })).length;

  // The ledger stays whole (its events hold no direct personal data and only the hash of their
  // evidence), so it still verifies; the evidence it hashes is what goes.
  const eventsOfCustomer = tx.select({ id: consentEvents.id }).from(consentEvents).where(and(eq(consentEvents.tenantId, tenantId), eq(consentEvents.customerId, customerId)));
  erased.consentEvidence = (await tx.delete(consentEvidence).where(and(eq(consentEvidence.tenantId, tenantId), inArray(consentEvidence.eventId, eventsOfCustomer))).returning({ id: consentEvidence.eventId })).length;
  erased.disputeIps = (await tx.update(consentDisputes).set({ ip: null }).where(and(ofCustomer(consentDisputes), isNotNull(consentDisputes.ip))).returning({ id: consentDisputes.id })).length;

  erased.messages = await scrubMessages(tx, tenantId, s.messageIds);

  erased.accessPackages = (
    await tx
      .update(accessPackages)
      .set({ contents: null, droppedAt: sql`coalesce(${accessPackages.droppedAt}, ${now.toISOString()}::timestamptz)`, downloadExpiresAt: sql`least(${accessPackages.downloadExpiresAt}, ${now.toISOString()}::timestamptz)` })
      .where(and(ofCustomer(accessPackages), isNotNull(accessPackages.contents)))
      .returning({ id: accessPackages.id })
  ).length;

  // The requests stay (B9(d), D9): their dates, type, channel, verification level, status and (for a
  // refusal) the ground keep the record of how each was handled; what the customer said and what staff
  // typed go whole. The reason a request waited for identity is the system's own words, and stays.
  const requests = await tx.select().from(privacyRequests).where(ofCustomer(privacyRequests));
  const cleared = (text: string | null) => (text === null ? null : CLEARED);
  for (const r of requests) {
    await tx
      .update(privacyRequests)
      .set({
        customerWords: null,
        identityMethod: cleared(r.identityMethod),
        extensionReason: cleared(r.extensionReason),
        rejectionReason: r.rejectionReason === null ? null : (groundOf(r.rejectionReason) ?? CLEARED),
        rejectionResponse: cleared(r.rejectionResponse),
        resolution: cleared(r.resolution),
      })
      .where(and(eq(privacyRequests.tenantId, tenantId), eq(privacyRequests.id, r.id)));
  }
  erased.requestWords = s.requestsWithWords;

  await tx
    .update(customers)
    .set({
      name: ERASED_NAME,
      nameSearch: foldName(ERASED_NAME),
      email: null,
      phone: null,
      address: null,
      dateOfBirth: null,
      language: null,
      status: "erased",
      statusReason: `Erased at the customer's request (privacy request ${request.id})`,
      restricted: true,
      version: sql`${customers.version} + 1`,
      updatedAt: now,
    })
    .where(and(eq(customers.tenantId, tenantId), eq(customers.id, customerId)));
  return erased;
}

/**
 * Messages to the customer keep their record (what was sent, when, delivered or not) but lose the
 * address (masked), the subject and the text; those not yet sent are cancelled. The dev mailbox's
 * copies go the same way, and any delivery error, which a provider may have written with the address
 * in it, is cleared.
 */
async function scrubMessages(tx: Db, tenantId: string, messageIds: string[]): Promise<number> {
  if (messageIds.length === 0) return 0;
  const rows = await tx.select().from(outboxMessages).where(and(eq(outboxMessages.tenantId, tenantId), inArray(outboxMessages.id, messageIds))).for("update");
  for (const m of rows) {
    const unsent = m.status === "pending" || m.status === "sending";
    await tx
      .update(outboxMessages)
      .set({
        recipient: maskedRecipient(m.channel, unseal(m.recipient)),
        subject: null,
        body: null,
        lockedUntil: null,
        ...(unsent ? { status: "failed" as const, lastError: "not sent: the customer was erased" } : m.lastError ? { lastError: CLEARED } : {}),
      })
      .where(and(eq(outboxMessages.tenantId, tenantId), eq(outboxMessages.id, m.id)));
  }
  await tx
    .update(outboxAttempts)
    .set({ error: CLEARED })
    .where(and(eq(outboxAttempts.tenantId, tenantId), inArray(outboxAttempts.messageId, messageIds), isNotNull(outboxAttempts.error)));
  const copies = await tx.select({ id: devMailbox.id, channel: devMailbox.channel, recipient: devMailbox.recipient }).from(devMailbox).where(and(eq(devMailbox.tenantId, tenantId), inArray(devMailbox.messageId, messageIds)));
  for (const c of copies) {
    await tx.update(devMailbox).set({ recipient: maskedRecipient(c.channel, unseal(c.recipient)), subject: null, body: "" }).where(eq(devMailbox.id, c.id));
  }
  return rows.length;
}

const utcMinute = (at: Date) => `${at.toISOString().replace("T", " ").slice(0, 16)} UTC`;

/**
 * The customer's other requests still being worked, closed by the erasure in its transaction: with
 * the data gone there is nothing left to give, correct, restrict or erase, and an erased customer's
 * request could otherwise never close. Each is completed with a resolution naming the erasure,
 * audited and announced as any step is. Answers their ids.
 */
async function closeOtherRequests(tx: Db, actor: Actor, erasure: PrivacyRequest, others: Pick<PrivacyRequest, "id" | "type">[], customerRef: string, now: Date): Promise<string[]> {
  for (const other of others) {
    const where = and(eq(privacyRequests.tenantId, erasure.tenantId), eq(privacyRequests.id, other.id));
    const [before] = await tx.select({ status: privacyRequests.status }).from(privacyRequests).where(where);
    const [closed] = await tx
      .update(privacyRequests)
      .set({
        status: "completed",
        resolution: `Closed by the erasure of the customer's personal data (erasure request ${erasure.id}): nothing is left to act on.`,
        completedAt: now,
        completedBy: actor.type === "staff" ? actor.id : null,
        version: sql`${privacyRequests.version} + 1`,
        updatedAt: now,
      })
      .where(where)
      .returning();
    await recordAudit(tx, actor, {
      tenantId: erasure.tenantId,
      action: "privacy_request.closed_by_erasure",
      entityType: "privacy_request",
      entityId: other.id,
      customerId: erasure.customerId,
      before: { status: before!.status },
      after: { status: "completed", erasureRequestId: erasure.id },
      reason: `closed by the erasure (privacy request ${erasure.id})`,
    });
    await announce(tx, customerRef, closed!, now);
  }
  return others.map((o) => o.id);
}

function resolutionOf(erased: Erased, kept: RetentionDecision[]): string {
  const until = (d: Date | null) => (d ? `until ${d.toISOString().slice(0, 10)}` : "with no end date");
  const categories = Object.entries(erased)
    .filter(([, n]) => n > 0)
    .map(([k]) => k.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`));
  return `Personal data erased (customer record${categories.length ? `, ${categories.join(", ")}` : ""}). Kept, restricted to their purpose: ${kept.map((k) => `${k.category.replaceAll("_", " ")} ${until(k.deleteAfter)}`).join("; ")}.`;
}

/**
 * Carries out an erasure request (supervisor or admin). The request must be an erasure, with the
 * requester's identity confirmed, open or in progress. In one transaction: the personal data with no
 * retention hold erased everywhere; the records under a legal hold kept, restricted, with their basis
 * and deletion date in retention_holds, what staff typed into them cleared whole; a suppression entry
 * for every email and phone number the customer has had; the customer's other open requests closed;
 * the request completed with what was kept; the customer told (see below); the
 * tenant's systems told (`customer.erased`); and an audit event naming what was erased, never a value.
 *
 * Telling the customer: the notice must reach the address they had, yet after the erasure no table
 * may hold that address in clear. So the notice is a sensitive message (its body sealed) whose
 * recipient is sealed too: only the outbox worker opens it, to send, and once the message is
 * delivered or given up on only a masked address remains; the dev mailbox keeps its copy sealed.
 * Sealing is encryption with the app's key, so an erasure of the address is complete once the message
 * is settled, and meanwhile the address is no more readable than a one-time code is.
 */
export async function carryOutErasure(db: Db, actor: Actor, input: z.input<typeof carryOutErasureSchema>, now = new Date()): Promise<PrivacyRequest> {
  const parsed = carryOutErasureSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(fieldErrorsFromZod(parsed.error.issues));
  const { requestId, version } = parsed.data;
  return requestStep(
    db,
    actor,
    { requestId, version },
    async (tx, request, customerRef) => {
      if (request.type !== "erasure") throw new ConflictError("This is not an erasure request.");
      if (request.status === "identity_pending") throw new ConflictError("Confirm the requester's identity first.");
      mustBeActive(request);
      if (request.status !== "open" && request.status !== "in_progress") throw new ConflictError(`This request is ${request.status.replaceAll("_", " ")}.`);
      const customer = await customerOfRequest(tx, request, true);
      if (customer.status === "erased") throw new ConflictError("This customer's data has already been erased.");
      // An agent still on the line would go on recording the call's notes against a record being emptied.
      // Only the agent holding a call can end it, so the supervisor is told whom to ask, and since when
      // (a call forgotten open for days reads differently from one in progress).
      const [onCall] = await tx
        .select({ agent: staffUsers.name, startedAt: interactions.startedAt })
        .from(interactions)
        .innerJoin(staffUsers, eq(staffUsers.id, interactions.agentId))
        .where(and(eq(interactions.tenantId, customer.tenantId), eq(interactions.customerId, customer.id), isNull(interactions.endedAt)))
        .orderBy(asc(interactions.startedAt))
        .limit(1);
      if (onCall) {
        throw new ConflictError(
          `An agent is on a call with this customer: ${onCall.agent}, since ${utcMinute(onCall.startedAt)}. Erase once the call has ended; only ${onCall.agent} can end it, so ask them if it was left open.`,
        );
      }

      const s = await survey(tx, customer, request.id, true);
      const { keep } = planOf(s, now);
      const route = contactOnFile(customer);
      const erased = await eraseEverywhere(tx, actor, s, request, now);

      await tx.insert(retentionHolds).values(
        keep.map((k) => ({ tenantId: customer.tenantId, customerId: customer.id, requestId: request.id, category: k.category, description: k.what, basis: k.basis, deleteAfter: k.deleteAfter, createdAt: now })),
      );
      const closed = await closeOtherRequests(tx, actor, request, s.otherOpenRequests, customerRef, now);
      const suppressed = await suppressContactPoints(tx, customer.tenantId, { emails: s.emails, phones: s.phones }, { reason: "erasure", requestId: request.id }, now);

      const kept = keep.map(asKept);
      // The notice has its own sentence on the suppression list, and the audit trail goes with what it accounts for.
      const told: RetentionCategory[] = ["suppression_list"];
      if (route) {
        await enqueueMessage(
          tx,
          {
            tenantId: customer.tenantId,
            channel: route.channel,
            template: "privacy_request.erasure_completed",
            recipient: route.to,
            sealRecipient: true,
            sensitive: true,
            ...erasureCompleted(s.tenant.name, keep.filter((k) => !told.includes(k.category)).map(asKept)),
            customerId: customer.id,
          },
          now,
        );
      }
      await emitWebhook(tx, customer.tenantId, "customer.erased", { customer: customerRef, requestId: request.id, erasedAt: now.toISOString() }, now);
      await recordAudit(tx, actor, {
        tenantId: customer.tenantId,
        action: "customer.erased",
        entityType: "customer",
        entityId: customer.id,
        customerId: customer.id,
        interactionId: request.interactionId,
        before: { status: customer.status },
        after: { status: "erased", erased, kept: keep.map((k) => ({ category: k.category, deleteAfter: k.deleteAfter?.toISOString() ?? null })), suppressed, requestsClosed: closed, customerTold: route?.channel ?? null },
        reason: `privacy request ${request.id}`,
      });
      return {
        action: "erasure_carried_out",
        set: { status: "completed", kept, resolution: resolutionOf(erased, keep), completedAt: now, completedBy: actor.type === "staff" ? actor.id : null },
        after: { erased: Object.keys(erased).filter((k) => erased[k]! > 0), kept: keep.map((k) => k.category), requestsClosed: closed, customerTold: route?.channel ?? null },
      };
    },
    now,
  );
}
