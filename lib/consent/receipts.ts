import { createHash } from "node:crypto";
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { consentEvents, customers, notices, purposes, tenants, type ConsentChannel, type ConsentEvent, type Interaction } from "@/db/schema";
import { assertTenantAccess, type Actor } from "@/lib/actor";
import { NotFoundError, ValidationError } from "@/lib/errors";
import { consentDecisionWords, consentReceipt } from "@/lib/notifications/messages";
import { enqueueMessage } from "@/lib/notifications/outbox";
import { customerContact } from "@/lib/notifications/recipients";
import { RULE_PACKS, type RulePack } from "@/lib/tenants/rule-packs";
import { confirmedEventId } from "./confirmation";
import { STATUS_AFTER } from "./ledger";
import { DISPUTE_LINK_TTL_MS, linkUrl, signLink } from "./links";

/** The BPO running the contact centre: the processor acting for each tenant (the controller). */
export const PROCESSOR_NAME = "Attest contact centre";

/** The consent decisions recorded in a call, oldest first, in the customer's words. */
export async function decisionsOfCall(db: Db, tenantId: string, interactionId: string): Promise<{ event: ConsentEvent; purposeName: string; words: string }[]> {
  const rows = await db
    .select({ event: consentEvents, purposeName: purposes.name })
    .from(consentEvents)
    .innerJoin(purposes, and(eq(purposes.tenantId, consentEvents.tenantId), eq(purposes.id, consentEvents.purposeId)))
    .where(and(eq(consentEvents.tenantId, tenantId), eq(consentEvents.interactionId, interactionId)))
    .orderBy(asc(consentEvents.occurredAt), asc(consentEvents.chainSeq));
  return rows.map((r) => ({ ...r, words: consentDecisionWords(r.event.action, r.purposeName, r.event.channel) }));
}

/**
 * The consent receipt after a call (RULES.md A7): when consent was recorded in the call, the customer
 * is sent each decision with its time and a "This wasn't me" link valid 30 days, to the email on file
 * (else by SMS). The message is sealed: the link is a bearer token. Call it in the transaction that
 * ends the call.
 */
export async function sendConsentReceipt(tx: Db, call: Interaction, now: Date): Promise<boolean> {
  const decisions = await decisionsOfCall(tx, call.tenantId, call.id);
  if (decisions.length === 0) return false;
  const contact = await customerContact(tx, call.tenantId, call.customerId);
  if (!contact?.route) return false;
  // An objection is one decision however many purposes and channels it covers.
  const seen = new Set<string>();
  const lines = decisions.filter((d) => !seen.has(d.words) && seen.add(d.words)).map((d) => ({ at: d.event.occurredAt, words: d.words }));
  const token = signLink({ purpose: "dispute", tenantId: call.tenantId, ids: [call.id], expiresAt: new Date(now.getTime() + DISPUTE_LINK_TTL_MS) });
  const message = consentReceipt(contact.tenantName, lines, linkUrl("dispute", token), call.startedAt);
  await enqueueMessage(
    tx,
    {
      tenantId: call.tenantId,
      channel: contact.route.channel,
      template: "consent.receipt",
      recipient: contact.route.to,
      subject: message.subject,
      body: message.body,
      sensitive: true,
      customerId: call.customerId,
      interactionId: call.id,
    },
    now,
  );
  return true;
}

const PERSONAL_DATA: Record<ConsentChannel, string[]> = {
  email: ["contact details: email address", "name"],
  sms: ["contact details: mobile phone number", "name"],
  phone: ["contact details: phone number", "name"],
  post: ["contact details: postal address", "name"],
  in_app: ["account identifier"],
};

const COLLECTION_METHOD: Record<ConsentEvent["method"], string> = {
  verbal: "verbal, on a call with an agent",
  web: "web form",
  written: "written (paper or signed document)",
  ivr: "IVR key press",
  api: "recorded by the controller's system through the API",
  gpc: "Global Privacy Control browser signal",
  import: "imported from the controller's records",
};

/** Who expressed the decision: the customer through an agent, on the web, through the tenant's system; or the product itself. */
function expressedBy(event: ConsentEvent): "customer_via_agent" | "customer_web" | "customer_via_api" | "system" {
  if (event.capturedByType === "staff") return "customer_via_agent";
  if (event.capturedByType === "api_key") return "customer_via_api";
  if (event.action === "expire") return "system";
  return event.method === "web" ? "customer_web" : "system";
}

/** A stable receipt id for an event: the same event always gives the same receipt. */
function receiptIdOf(event: ConsentEvent): string {
  const h = createHash("sha256").update(`consent receipt:${event.tenantId}:${event.id}:${event.hash}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The consent record of one event, shaped after ISO/IEC TS 27560:2023 (consent record information
 * structure) and carrying the fields of a Kantara Initiative consent receipt v1.1 (`version`,
 * `consentReceiptID`, `piiPrincipalId`, `piiControllers`, `services`, …), so that either reader finds
 * what it expects. It holds no contact detail in clear: the person is their account reference.
 */
export async function consentRecord(db: Db, actor: Actor, tenantId: string, eventId: string, now = new Date()) {
  assertTenantAccess(actor, tenantId);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(eventId)) throw ValidationError.field("eventId", "must be a consent event id (a UUID)");
  const [row] = await db
    .select({ event: consentEvents, purpose: purposes, customerRef: customers.ref, tenantName: tenants.name })
    .from(consentEvents)
    .innerJoin(purposes, and(eq(purposes.tenantId, consentEvents.tenantId), eq(purposes.id, consentEvents.purposeId)))
    .innerJoin(customers, and(eq(customers.tenantId, consentEvents.tenantId), eq(customers.id, consentEvents.customerId)))
    .innerJoin(tenants, eq(tenants.id, consentEvents.tenantId))
    .where(and(eq(consentEvents.tenantId, tenantId), eq(consentEvents.id, eventId)));
  if (!row) throw new NotFoundError("No such consent event.");
  const { event, purpose, customerRef, tenantName } = row;
  const [notice] = event.noticeId ? await db.select().from(notices).where(and(eq(notices.tenantId, tenantId), eq(notices.id, event.noticeId))) : [];
  const receiptId = receiptIdOf(event);
  const state = STATUS_AFTER[event.action];
  const jurisdiction = event.jurisdiction.map((key) => ({ key, name: RULE_PACKS[key as RulePack] ?? key }));
  const personalData = PERSONAL_DATA[event.channel];
  const consentType = purpose.specialCategory ? "explicit" : "expressed";
  const withdrawal = {
    possible: true,
    howTo: `Withdraw at any time, as easily as it was given: tell any ${tenantName} agent on a call, or use the way to withdraw named in the notice. Withdrawing is free and does not affect your service.`,
    effect: "Withdrawal applies from then on; processing before it stays lawful (GDPR Art. 7(3)).",
  };

  return {
    // ISO/IEC TS 27560:2023 consent record
    schemaVersion: "ISO/IEC TS 27560:2023",
    recordId: event.id,
    receiptId,
    issuedAt: now.toISOString(),
    piiPrincipalId: customerRef,
    controller: { name: tenantName, role: "controller" },
    processor: { name: PROCESSOR_NAME, role: "processor", onBehalfOf: tenantName },
    notice: notice
      ? { id: notice.id, version: notice.version, kind: notice.kind, language: notice.language, hash: notice.hash, hashAlgorithm: "SHA-256", publishedAt: notice.publishedAt.toISOString() }
      : null,
    purposes: [
      {
        id: purpose.key,
        name: purpose.name,
        legalBasis: purpose.legalBasis,
        category: purpose.category,
        specialCategory: purpose.specialCategory,
        consentType,
        channel: event.channel,
        personalDataCategories: personalData,
      },
    ],
    personalDataCategories: personalData,
    jurisdictions: jurisdiction,
    event: {
      id: event.id,
      action: event.action,
      state,
      occurredAt: event.occurredAt.toISOString(),
      recordedAt: event.recordedAt.toISOString(),
      expressedBy: expressedBy(event),
      capturedBy: { type: event.capturedByType, id: event.capturedById },
      method: event.method,
      channel: event.channel,
      language: event.language,
      interactionId: event.interactionId,
      recordingRef: event.recordingRef,
      confirms: confirmedEventId(event),
      validFrom: event.occurredAt.toISOString(),
      validUntil: event.validUntil?.toISOString() ?? null,
      reviewIntervalDays: purpose.reviewIntervalDays,
      hash: event.hash,
      previousHash: event.prevHash,
      chainSequence: event.chainSeq,
    },
    withdrawal,

    // Kantara Initiative Consent Receipt Specification v1.1
    version: "KI-CR-v1.1.0",
    jurisdiction: jurisdiction.map((j) => j.name).join(", "),
    consentTimestamp: Math.floor(event.occurredAt.getTime() / 1000),
    collectionMethod: COLLECTION_METHOD[event.method],
    consentReceiptID: receiptId,
    language: event.language ?? notice?.language ?? null,
    piiControllers: [{ piiController: tenantName, onBehalf: false }, { piiController: PROCESSOR_NAME, onBehalf: true }],
    policyUrl: null,
    services: [
      {
        service: purpose.name,
        purposes: [
          {
            purpose: purpose.name,
            purposeCategory: [purpose.category],
            consentType,
            piiCategory: personalData,
            primaryPurpose: true,
            termination: event.validUntil ? `Ends on ${event.validUntil.toISOString()} or when withdrawn` : "When withdrawn",
            thirdPartyDisclosure: purpose.category === "sharing" || purpose.category === "sale_or_share",
          },
        ],
      },
    ],
    sensitive: purpose.specialCategory,
    spiCat: purpose.specialCategory ? [purpose.category] : [],
  };
}

export type ConsentRecord = Awaited<ReturnType<typeof consentRecord>>;
