import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { consentChannel, consentEvents, consentState, customers, notices, purposes, tenants, type ConsentAction, type ConsentChannel, type ConsentEvent, type ConsentStatus, type Interaction, type Purpose } from "@/db/schema";
import type { Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { ConflictError, ValidationError, type FieldError } from "@/lib/errors";
import { requireVerification } from "@/lib/identity/verification";
import { heldCall } from "@/lib/interactions/interactions";
import { refuseCardData } from "@/lib/payments/card-numbers";
import { purposeByKey } from "./check";
import { appendGrantAwaitingConfirmation, confirmationNeeded } from "./confirmation";
import { STATUS_AFTER, appendConsentEvent, type NewConsentEvent } from "./ledger";

/** The category whose purposes a direct-marketing objection covers (RULES.md B13). */
export const MARKETING_CATEGORY = "marketing";

const blankToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optionalText = (max: number, what: string) => z.preprocess(blankToUndefined, z.string().trim().max(max, `${what} must be at most ${max} characters`).optional());
const checkbox = z.preprocess(blankToUndefined, z.union([z.boolean(), z.stringbool()]).optional());

const inCall = {
  interactionId: z.uuid("Unknown call"),
  customerId: z.uuid("Unknown customer"),
};

/** One answer, for one purpose on one channel: never a bundle (RULES.md A2, A3). */
export const callConsentSchema = z.object({
  ...inCall,
  purpose: z.string().trim().min(1, "Choose a purpose"),
  channel: z.enum(consentChannel.enumValues, "Choose a channel"),
  decision: z.enum(["grant", "refuse", "withdraw"], "Choose the customer's answer"),
  /** The script version the agent read out; a grant must cite it (A5). */
  noticeId: z.preprocess(blankToUndefined, z.uuid("Unknown script version").optional()),
  recordingRef: optionalText(200, "The recording reference"),
  /** On an unrecorded call, the customer's own words; for a special category, their express statement. */
  customerWords: optionalText(2000, "The customer's words").superRefine(refuseCardData),
  attested: checkbox,
});

export const objectionSchema = z.object({ ...inCall, customerWords: optionalText(2000, "The customer's words").superRefine(refuseCardData) });

/** "Don't call me again", "stop texting me": a revocation in the customer's own words (TCPA, RULES.md E4). */
export const revocationSchema = z.object({
  ...inCall,
  customerWords: z.string().trim().min(2, "Type what the customer said, in their words").max(2000, "The customer's words must be at most 2,000 characters").superRefine(refuseCardData),
  channels: z.array(z.enum(["phone", "sms", "email", "post"]), "Choose calls, texts or both").min(1, "Choose calls, texts or both"),
});

export type CallConsentInput = z.output<typeof callConsentSchema>;
export type CapturedConsent = { eventId: string; status: ConsentStatus; alreadyRecorded: boolean; awaitingConfirmation: boolean };

/** The open call and the customer it is with, checked against the input: every capture starts here. */
async function callWith(tx: Db, actor: Actor, input: { interactionId: string; customerId: string }): Promise<Interaction> {
  const call = await heldCall(tx, actor, input.interactionId);
  if (call.customerId !== input.customerId) throw new ConflictError("This call is with another customer.");
  return call;
}

/**
 * A second click (or a second tab) records nothing new when the same occasion (the same call, or no
 * call at all for the tenant's systems) already made the same choice.
 */
async function sameChoiceOnThisOccasion(tx: Db, occasion: ChoiceOccasion, purposeId: string, channel: ConsentChannel, action: ConsentAction): Promise<ConsentEvent | null> {
  const [row] = await tx
    .select({ event: consentEvents })
    .from(consentState)
    .innerJoin(consentEvents, and(eq(consentEvents.tenantId, consentState.tenantId), eq(consentEvents.id, consentState.eventId)))
    .where(and(eq(consentState.tenantId, occasion.tenantId), eq(consentState.customerId, occasion.customerId), eq(consentState.purposeId, purposeId), eq(consentState.channel, channel)));
  if (!row || row.event.interactionId !== occasion.interactionId) return null;
  const pendingGrant = action === "grant" && row.event.action === "request_confirmation";
  return row.event.action === action || pendingGrant ? row.event : null;
}

/** Where a choice was made: during a call (with its recording), or by the tenant's systems. */
export type ChoiceOccasion = { tenantId: string; customerId: string; interactionId: string | null; recordingRef: string | null; method: ConsentEvent["method"] };

const occasionOf = (call: Interaction): ChoiceOccasion => ({ tenantId: call.tenantId, customerId: call.customerId, interactionId: call.id, recordingRef: call.recordingRef, method: "verbal" });

async function appendAndAudit(tx: Db, actor: Actor, occasion: ChoiceOccasion, purpose: Purpose, event: NewConsentEvent, reason: string, now: Date, confirmation: ReturnType<typeof confirmationNeeded> = null): Promise<ConsentEvent> {
  const stored = confirmation ? await appendGrantAwaitingConfirmation(tx, actor, event, confirmation, now) : await appendConsentEvent(tx, actor, event, now);
  await recordAudit(tx, actor, {
    tenantId: occasion.tenantId,
    action: `consent.${stored.action}`,
    entityType: "consent_event",
    entityId: stored.id,
    customerId: occasion.customerId,
    interactionId: occasion.interactionId,
    after: { purpose: purpose.key, channel: event.channel, method: event.method },
    reason,
  });
  return stored;
}

/**
 * One action (an objection, a withdrawal, a refusal) for every channel of each purpose given, as one
 * choice of the customer's: what "stop all marketing", "don't call me again" and an opt-out of sale
 * or sharing all are. Channels already in that state from this same occasion are skipped.
 */
export async function applyToPurposes(
  tx: Db,
  actor: Actor,
  occasion: ChoiceOccasion,
  choice: { purposes: Purpose[]; channels?: readonly ConsentChannel[]; action: ConsentAction; evidence: Record<string, unknown> | null; reason: string },
  now = new Date(),
): Promise<number> {
  let recorded = 0;
  for (const purpose of choice.purposes) {
    for (const channel of purpose.channels.filter((c) => !choice.channels || choice.channels.includes(c))) {
      if (await sameChoiceOnThisOccasion(tx, occasion, purpose.id, channel, choice.action)) continue;
      const { tenantId, customerId, interactionId, recordingRef, method } = occasion;
      await appendAndAudit(tx, actor, occasion, purpose, { tenantId, customerId, purpose, channel, action: choice.action, method, interactionId, recordingRef, evidence: choice.evidence, occurredAt: now }, choice.reason, now);
      recorded++;
    }
  }
  return recorded;
}

/** A tenant's purposes of one category (`marketing`, `sale_or_share`). */
export const purposesOfCategory = (tx: Db, tenantId: string, category: string) => tx.select().from(purposes).where(and(eq(purposes.tenantId, tenantId), eq(purposes.category, category)));

/**
 * Records the customer's spoken answer for one purpose on one channel during a call (RULES.md A1–A8).
 * A grant needs a verified caller, the script version that was read (A5), and proof (A7): the call's
 * recording, or, on an unrecorded call, the customer's words and the agent's attestation. A special
 * category also needs the customer's express statement and is confirmed by the customer afterwards
 * (A8); so is an email grant where the tenant asks for double opt-in. A refusal or a withdrawal asks
 * for nothing more than the click: withdrawing is never harder than granting (A10).
 */
export async function recordCallConsent(db: Db, actor: Actor, input: CallConsentInput, now = new Date()): Promise<CapturedConsent> {
  return db.transaction(async (tx) => {
    const call = await callWith(tx, actor, input);
    if (input.decision === "grant") await requireVerification(tx, actor, call.id, call.customerId, "record_consent", now);
    const purpose = await purposeByKey(tx, call.tenantId, input.purpose);
    const errors: FieldError[] = [];
    if (!purpose.channels.includes(input.channel)) errors.push({ path: "channel", message: `${purpose.name} is not asked for on ${input.channel}` });
    const recordingRef = input.recordingRef ?? call.recordingRef ?? null;
    let notice: { id: string; language: string } | undefined;
    if (input.decision === "grant") {
      if (!input.noticeId) errors.push({ path: "noticeId", message: "Read the script to the customer: a grant must cite the script version read" });
      else {
        [notice] = await tx
          .select({ id: notices.id, language: notices.language, kind: notices.kind, purposeKeys: notices.purposeKeys })
          .from(notices)
          .where(and(eq(notices.tenantId, call.tenantId), eq(notices.id, input.noticeId)))
          .then((rows) => rows.filter((n) => n.kind === "script" && n.purposeKeys.includes(purpose.key)));
        if (!notice) errors.push({ path: "noticeId", message: `That is not a script for ${purpose.name}` });
      }
      if (!recordingRef) {
        if (!input.customerWords) errors.push({ path: "customerWords", message: "The call is not recorded: type the customer's words" });
        if (!input.attested) errors.push({ path: "attested", message: "Confirm that the customer said these words to you" });
      }
      if (purpose.specialCategory && !input.customerWords) {
        errors.push({ path: "customerWords", message: `Explicit consent: type the customer's own statement agreeing to ${purpose.name}` });
      }
    }
    if (errors.length) throw new ValidationError(errors, "The answer was not recorded: see the highlighted fields.");

    const again = await sameChoiceOnThisOccasion(tx, occasionOf(call), purpose.id, input.channel, input.decision);
    if (again) return { eventId: again.id, status: STATUS_AFTER[again.action], alreadyRecorded: true, awaitingConfirmation: again.action === "request_confirmation" };

    const [tenant] = await tx.select({ emailDoubleOptIn: tenants.emailDoubleOptIn }).from(tenants).where(eq(tenants.id, call.tenantId));
    const [customer] = await tx.select({ language: customers.language }).from(customers).where(and(eq(customers.tenantId, call.tenantId), eq(customers.id, call.customerId)));
    const attestation = !recordingRef && input.attested ? { attestedBy: actor.type === "staff" ? actor.email : null, attestedAt: now.toISOString() } : {};
    const evidence = input.customerWords ? { customerWords: input.customerWords, ...attestation } : null;
    const confirmation = input.decision === "grant" ? confirmationNeeded(tenant!, purpose, input.channel) : null;
    const stored = await appendAndAudit(
      tx,
      actor,
      occasionOf(call),
      purpose,
      {
        tenantId: call.tenantId,
        customerId: call.customerId,
        purpose,
        channel: input.channel,
        action: input.decision,
        method: "verbal",
        noticeId: notice?.id ?? null,
        language: notice?.language ?? customer?.language ?? null,
        interactionId: call.id,
        recordingRef,
        evidence,
        occurredAt: now,
      },
      recordingRef ? `said on recorded call ${recordingRef}` : input.customerWords ? "unrecorded call: the customer's words, attested by the agent" : "said on an unrecorded call",
      now,
      confirmation,
    );
    return { eventId: stored.id, status: STATUS_AFTER[stored.action], alreadyRecorded: false, awaitingConfirmation: stored.action === "request_confirmation" };
  });
}

/**
 * "Stop all marketing": an objection to direct marketing (GDPR Art. 21(2), RULES.md B13). Absolute,
 * with no reason asked and no balancing: every marketing purpose is denied on every channel from now,
 * whatever the customer's identity check, because stopping is always safe.
 */
export async function recordMarketingObjection(db: Db, actor: Actor, input: z.output<typeof objectionSchema>, now = new Date()): Promise<{ recorded: number }> {
  return db.transaction(async (tx) => {
    const call = await callWith(tx, actor, input);
    return { recorded: await objectToMarketing(tx, actor, occasionOf(call), input.customerWords ? { customerWords: input.customerWords } : null, now) };
  });
}

/** The objection itself, on whatever occasion it was made (a call, a privacy request through the API). */
export async function objectToMarketing(tx: Db, actor: Actor, occasion: ChoiceOccasion, evidence: Record<string, unknown> | null, now = new Date()): Promise<number> {
  const marketing = await purposesOfCategory(tx, occasion.tenantId, MARKETING_CATEGORY);
  return applyToPurposes(tx, actor, occasion, { purposes: marketing, action: "object", evidence, reason: "objection to direct marketing (no reason required)" }, now);
}

/**
 * A revocation said in any words ("don't call me again", "cancel"): withdraws every purpose on the
 * channels named, at once (TCPA's any-reasonable-means rule, RULES.md E4–E5), with the words kept as
 * evidence. No identity check is needed to stop contact.
 */
export async function recordContactRevocation(db: Db, actor: Actor, input: z.output<typeof revocationSchema>, now = new Date()): Promise<{ recorded: number }> {
  return db.transaction(async (tx) => {
    const call = await callWith(tx, actor, input);
    const all = await tx.select().from(purposes).where(eq(purposes.tenantId, call.tenantId));
    const choice = { purposes: all, channels: input.channels, action: "withdraw" as const, evidence: { customerWords: input.customerWords }, reason: "revocation in the customer's own words" };
    return { recorded: await applyToPurposes(tx, actor, occasionOf(call), choice, now) };
  });
}
