import { and, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { consentEvents, consentState, customers, purposes, tenants, type ConsentChannel, type ConsentEvent, type Purpose } from "@/db/schema";
import { systemActor, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { ConflictError, NotFoundError, ValidationError } from "@/lib/errors";
import { CONSENT_CHANNEL_WORDS, consentConfirmationRequest } from "@/lib/notifications/messages";
import { enqueueMessage } from "@/lib/notifications/outbox";
import { customerContact, type ContactRoute } from "@/lib/notifications/recipients";
import { contactPointMatches } from "./hashing";
import { appendConsentEvent, contactPointFor, type NewConsentEvent } from "./ledger";
import { CONFIRM_LINK_TTL_MS, LinkError, linkUrl, signLink, verifyLink } from "./links";

export type ConfirmationReason = "double_opt_in" | "explicit_consent";

/**
 * Whether a grant only counts once the customer confirms it: every grant for a special-category
 * purpose (RULES.md A8: explicit consent, with a second confirming step to the contact on file), and
 * email grants where the tenant runs double opt-in. Call it for grants only.
 */
export function confirmationNeeded(tenant: { emailDoubleOptIn: boolean }, purpose: Purpose, channel: ConsentChannel): ConfirmationReason | null {
  if (purpose.specialCategory) return "explicit_consent";
  if (tenant.emailDoubleOptIn && channel === "email") return "double_opt_in";
  return null;
}

/** The idempotency key of the `confirm` event that answers a pending event: one confirmation per request. */
const confirmKey = (pendingEventId: string) => `confirm:${pendingEventId}`;

/** The pending event a `confirm` event answers, read back from its idempotency key. */
export function confirmedEventId(event: Pick<ConsentEvent, "action" | "idempotencyKey">): string | null {
  return event.action === "confirm" && event.idempotencyKey?.startsWith("confirm:") ? event.idempotencyKey.slice("confirm:".length) : null;
}

/**
 * Records a grant that waits for the customer's confirmation: a `request_confirmation` event (with the
 * notice, evidence and call of the grant) and, in the same transaction, a message carrying a signed
 * link valid 7 days. Double opt-in goes to the address being opted in; the explicit-consent step
 * goes to the email on file, else the phone on file by SMS. The caller audits the capture.
 */
export async function appendGrantAwaitingConfirmation(tx: Db, actor: Actor, input: NewConsentEvent, reason: ConfirmationReason, now = new Date()): Promise<ConsentEvent> {
  if (input.action !== "grant" && input.action !== "request_confirmation") throw new Error("only a grant can await confirmation");
  const contact = await customerContact(tx, input.tenantId, input.customerId);
  if (!contact) throw new NotFoundError("No such customer");

  let destination: ContactRoute | null;
  if (reason === "double_opt_in") {
    const to = input.contactPoint ?? (contact.route?.channel === "email" ? contact.route.to : null);
    if (!to) throw ValidationError.field("contactPoint", "an email grant needs an email address to send the confirmation link to");
    destination = { channel: "email", to };
  } else {
    destination = contact.route;
    if (!destination) throw new ConflictError("Explicit consent needs a confirming step, but this customer has no email or phone on file to send it to.");
  }

  const event = await appendConsentEvent(tx, actor, { ...input, action: "request_confirmation" }, now);
  const token = signLink({ purpose: "confirm", tenantId: input.tenantId, ids: [event.id], expiresAt: new Date(now.getTime() + CONFIRM_LINK_TTL_MS) });
  const message = consentConfirmationRequest(contact.tenantName, `${input.purpose.name} by ${CONSENT_CHANNEL_WORDS[input.channel]}`, linkUrl("confirm", token), reason === "explicit_consent");
  await enqueueMessage(
    tx,
    {
      tenantId: input.tenantId,
      channel: destination.channel,
      template: "consent.confirmation",
      recipient: destination.to,
      subject: message.subject,
      body: message.body,
      sensitive: true,
      customerId: input.customerId,
      interactionId: input.interactionId ?? null,
    },
    now,
  );
  return event;
}

export type ConfirmationView = {
  tenantName: string;
  purposeName: string;
  channel: ConsentChannel;
  channelWords: string;
  /** pending: can be confirmed; confirmed: already done; superseded: a later choice replaced it. */
  state: "pending" | "confirmed" | "superseded";
};

type Pending = { event: ConsentEvent; purpose: Purpose; tenantName: string };

async function pendingOf(db: Db, tenantId: string, eventId: string): Promise<Pending> {
  const [row] = await db
    .select({ event: consentEvents, purpose: purposes, tenantName: tenants.name })
    .from(consentEvents)
    .innerJoin(purposes, and(eq(purposes.tenantId, consentEvents.tenantId), eq(purposes.id, consentEvents.purposeId)))
    .innerJoin(tenants, eq(tenants.id, consentEvents.tenantId))
    .where(and(eq(consentEvents.tenantId, tenantId), eq(consentEvents.id, eventId)));
  if (!row || row.event.action !== "request_confirmation") throw new NotFoundError("This confirmation request does not exist.");
  return row;
}

async function stateOf(db: Db, pending: ConsentEvent): Promise<ConfirmationView["state"]> {
  const [done] = await db
    .select({ id: consentEvents.id })
    .from(consentEvents)
    .where(and(eq(consentEvents.tenantId, pending.tenantId), eq(consentEvents.idempotencyKey, confirmKey(pending.id))));
  if (done) return "confirmed";
  const [current] = await db
    .select({ eventId: consentState.eventId })
    .from(consentState)
    .where(
      and(
        eq(consentState.tenantId, pending.tenantId),
        eq(consentState.customerId, pending.customerId),
        eq(consentState.purposeId, pending.purposeId),
        eq(consentState.channel, pending.channel),
      ),
    );
  return current?.eventId === pending.id ? "pending" : "superseded";
}

/** What a confirmation link is about, for its page: the tenant, purpose and channel, and where it stands. */
export async function confirmationRequest(db: Db, token: string, now = new Date()): Promise<ConfirmationView> {
  const claims = verifyLink(token, "confirm", now);
  const { event, purpose, tenantName } = await pendingOf(db, claims.tenantId, claims.ids[0]!);
  return { tenantName, purposeName: purpose.name, channel: event.channel, channelWords: CONSENT_CHANNEL_WORDS[event.channel], state: await stateOf(db, event) };
}

export type ConfirmationResult = { status: "confirmed" | "already_confirmed"; eventId: string; tenantName: string; purposeName: string; channel: ConsentChannel };

/**
 * The customer follows the link and presses "Confirm". While the choice is still the pending event
 * the link names, a `confirm` event makes it a grant (method web, same notice and language, the
 * request's IP and user agent as evidence) and is audited. A second press answers that it is already
 * confirmed and writes nothing; an expired link, or a request replaced since (withdrawn, refused, a
 * newer request), is refused with its reason.
 */
export async function confirmConsent(db: Db, token: string, meta: { ip: string | null; userAgent: string | null }, now = new Date()): Promise<ConfirmationResult> {
  const claims = verifyLink(token, "confirm", now);
  return db.transaction(async (tx) => {
    const { event: pending, purpose, tenantName } = await pendingOf(tx, claims.tenantId, claims.ids[0]!);
    // The customer's row is the lock every consent event takes: the state read below cannot move.
    const [customer] = await tx
      .select({ email: customers.email, phone: customers.phone })
      .from(customers)
      .where(and(eq(customers.tenantId, pending.tenantId), eq(customers.id, pending.customerId)))
      .for("update");
    if (!customer) throw new NotFoundError("This confirmation request does not exist.");
    const answer = { eventId: pending.id, tenantName, purposeName: purpose.name, channel: pending.channel };
    const state = await stateOf(tx, pending);
    if (state === "confirmed") return { status: "already_confirmed" as const, ...answer };
    if (state === "superseded") throw new ConflictError("This request can no longer be confirmed: a later choice replaced it (for example a withdrawal). Nothing was changed.");
    // The grant is for the contact point the request was for; the ledger derives it from the one on
    // file, so a request made for another address (or one changed since) is not confirmed for the wrong one.
    const onFile = contactPointFor(customer, pending.channel);
    if (pending.contactPointHash && (!onFile || !contactPointMatches(pending.tenantId, onFile, pending.contactPointHash))) {
      throw new ConflictError(`This request was for a ${pending.channel === "email" ? "email address" : "phone number"} that is no longer the one on your account, so it cannot be confirmed. Nothing was changed.`);
    }

    const actor = systemActor("customer confirmation link", meta.ip);
    const confirmed = await appendConsentEvent(
      tx,
      actor,
      {
        tenantId: pending.tenantId,
        customerId: pending.customerId,
        purpose,
        channel: pending.channel,
        action: "confirm",
        method: "web",
        noticeId: pending.noticeId,
        language: pending.language,
        evidence: { ip: meta.ip, userAgent: meta.userAgent },
        occurredAt: now,
        idempotencyKey: confirmKey(pending.id),
      },
      now,
    );
    await recordAudit(tx, actor, {
      tenantId: pending.tenantId,
      action: "consent.confirm",
      entityType: "consent_event",
      entityId: confirmed.id,
      customerId: pending.customerId,
      after: { purpose: purpose.key, channel: pending.channel, method: "web", confirms: pending.id },
    });
    return { status: "confirmed" as const, ...answer, eventId: confirmed.id };
  });
}

export { LinkError };
