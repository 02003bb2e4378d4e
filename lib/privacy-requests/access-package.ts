import { createHash, randomBytes } from "node:crypto";
import { and, asc, desc, eq, inArray, isNotNull, isNull, lte, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import {
  accessPackages,
  auditEvents,
  consentDisputes,
  consentEvents,
  consentEvidence,
  consentState,
  contactPointHistory,
  customerPreferences,
  customers,
  customerSecurity,
  interactions,
  notices,
  outboxMessages,
  paymentMethods,
  planAddOns,
  plans,
  preferenceTopics,
  privacyRequests,
  purposes,
  staffUsers,
  subscriptionChanges,
  subscriptions,
  tenants,
  verificationFactors,
  verifications,
  webhookEndpoints,
  type AccessPackage,
  type Customer,
  type PostalAddress,
  type PrivacyRequest,
} from "@/db/schema";
import { assertRole, assertTenantAccess, systemActor, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { startPeriodicJob } from "@/lib/jobs/periodic";
import { maskPhone } from "@/lib/customers/masking";
import { env } from "@/lib/env";
import { ConflictError, DomainError, NotFoundError, ValidationError, fieldErrorsFromZod } from "@/lib/errors";
import { enqueueMessage } from "@/lib/notifications/outbox";
import { customerContact } from "@/lib/notifications/recipients";
import { refuseCardData } from "@/lib/payments/card-numbers";
import type { Regime } from "./deadlines";
import { COMPLAINT_ROUTE, accessPackageReady } from "./messages";
import { assemblePackage, type DataSet } from "./package-files";
import { requestOf, requestStep } from "./queue";

export type { AccessPackage };

/** How long the customer's download link works; the file is dropped when it lapses. */
export const DOWNLOAD_LINK_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export type PackageKind = "access" | "portability";

const target = { requestId: z.uuid("Unknown request"), version: z.coerce.number("Reload the page").int().positive() };

export const buildPackageSchema = z.object(target);

const ticked = z.preprocess((v) => v === true || v === "on" || v === "true", z.boolean());

/** B7: the reviewer says what they checked, and confirms that other people's data was reviewed or redacted. */
export const releasePackageSchema = z.object({
  ...target,
  reviewNote: z
    .string("Write what you reviewed")
    .trim()
    .min(5, "Write what you reviewed (at least 5 characters)")
    .max(2000, "At most 2,000 characters")
    .superRefine(refuseCardData),
  thirdPartyDataReviewed: ticked.refine((v) => v, "Confirm that other people's data in the package was reviewed and redacted where needed"),
});

export type DownloadLinkFailure = "unknown" | "expired" | "dropped";

const DOWNLOAD_FAILURES: Record<DownloadLinkFailure, string> = {
  unknown: "This link does not match any download we hold. Open it again from the message, or copy the whole address.",
  expired: "This link has expired, and the file has been deleted. Call us on the number on our website and we will send you a new copy.",
  dropped: "This file is no longer available: it has been deleted. Call us on the number on our website and we will help.",
};

/** A download link that cannot be used, with why (the page shows "this link cannot be used" and the reason). */
export class DownloadLinkError extends DomainError {
  constructor(readonly reason: DownloadLinkFailure) {
    super(DOWNLOAD_FAILURES[reason]);
  }
}

const kindOf = (type: PrivacyRequest["type"]): PackageKind | null => (type === "access" ? "access" : type === "portability" ? "portability" : null);

const day = (at: Date) => at.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });

const slug = (text: string) =>
  text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "") || "data";

/** The name the customer's browser saves the zip under: no name or account number in it. */
export function packageFileName(tenantName: string, kind: PackageKind, builtAt: Date): string {
  return `${slug(tenantName)}-${kind === "access" ? "your-personal-data" : "your-portable-data"}-${builtAt.toISOString().slice(0, 10)}.zip`;
}

export const downloadUrl = (token: string) => new URL(`/privacy/download/${token}`, env.APP_URL).toString();

const tokenHash = (token: string) => createHash("sha256").update(token).digest("hex");

// ---------------------------------------------------------------------------------------------
// What is held about the customer

type Context = { tenantId: string; tenantName: string; rulePacks: string[]; regime: Regime; customer: Customer; request: PrivacyRequest; builtAt: Date };

const LEGAL_BASIS_WORDS: Record<string, string> = {
  consent: "Consent (GDPR Art. 6(1)(a)): you can withdraw it at any time",
  contract: "Contract (GDPR Art. 6(1)(b)): needed to provide the service you signed up for",
  legal_obligation: "Legal obligation (GDPR Art. 6(1)(c))",
  vital_interests: "Vital interests (GDPR Art. 6(1)(d))",
  public_task: "Public task (GDPR Art. 6(1)(e))",
  legitimate_interests: "Legitimate interests (GDPR Art. 6(1)(f)): you can object",
};

const f = (name: string, type: string, description: string) => ({ name, type, description });
const TIME = "time (ISO 8601, UTC)";
const ADDRESS = "object: line1, line2, city, region, postcode, country";

const PROVIDED_PROFILE_FIELDS = [
  f("name", "string", "Your name"),
  f("email", "string", "Your email address"),
  f("phone", "string", "Your phone number (international format)"),
  f("address", ADDRESS, "Your postal address"),
  f("dateOfBirth", "date (YYYY-MM-DD)", "Your date of birth"),
  f("language", "string (BCP 47)", "The language you prefer us to use"),
];

/** An address in the order it is written (the database keeps JSON keys in its own order). */
function addressRecord(a: PostalAddress | null): PostalAddress | null {
  return a ? { line1: a.line1, line2: a.line2 ?? null, city: a.city, region: a.region ?? null, postcode: a.postcode, country: a.country } : null;
}

function profile(c: Context, kind: PackageKind): DataSet {
  const { customer } = c;
  const provided = { name: customer.name, email: customer.email, phone: customer.phone, address: addressRecord(customer.address), dateOfBirth: customer.dateOfBirth, language: customer.language };
  if (kind === "portability") return { key: "profile", title: "Your profile", description: "The details you gave us about yourself.", fields: PROVIDED_PROFILE_FIELDS, records: [provided] };
  return {
    key: "profile",
    title: "Your profile",
    description: `Your account with ${c.tenantName} as it is now.`,
    fields: [
      f("accountRef", "string", `Your account number with ${c.tenantName}`),
      ...PROVIDED_PROFILE_FIELDS,
      f("status", "active | inactive | erased", "Whether your account is active"),
      f("statusReason", "string", "Why the status was set, where recorded"),
      f("restricted", "boolean", "true while the use of your data is restricted at your request (it is only stored)"),
      f("createdAt", TIME, "When the account was created in this system"),
      f("updatedAt", TIME, "When it last changed"),
    ],
    records: [{ accountRef: customer.ref, ...provided, status: customer.status, statusReason: customer.statusReason, restricted: customer.restricted, createdAt: customer.createdAt, updatedAt: customer.updatedAt }],
  };
}

async function contactPoints(tx: Db, c: Context): Promise<DataSet> {
  const rows = await tx
    .select({ kind: contactPointHistory.kind, value: contactPointHistory.value, validFrom: contactPointHistory.validFrom, validTo: contactPointHistory.validTo })
    .from(contactPointHistory)
    .where(and(eq(contactPointHistory.tenantId, c.tenantId), eq(contactPointHistory.customerId, c.customer.id)))
    .orderBy(asc(contactPointHistory.validFrom));
  return {
    key: "contact-history",
    title: "Your email addresses and phone numbers over time",
    description: "Every email address and phone number your account has had, and when. Consent given for an old one does not carry over to a new one.",
    fields: [f("kind", "email | phone", "Email address or phone number"), f("value", "string", "The address or number"), f("validFrom", TIME, "From when it was on your account"), f("validTo", TIME, "Until when (empty: still on your account)")],
    records: rows,
  };
}

async function currentConsents(tx: Db, c: Context): Promise<DataSet> {
  const rows = await tx
    .select({ purpose: purposes.key, purposeName: purposes.name, channel: consentState.channel, status: consentState.status, since: consentState.since, validUntil: consentState.validUntil })
    .from(consentState)
    .innerJoin(purposes, and(eq(purposes.tenantId, consentState.tenantId), eq(purposes.id, consentState.purposeId)))
    .where(and(eq(consentState.tenantId, c.tenantId), eq(consentState.customerId, c.customer.id)))
    .orderBy(asc(purposes.key), asc(consentState.channel));
  return {
    key: "consents",
    title: "Your consents now",
    description: "What you have agreed to, refused or withdrawn, for each purpose and channel, as it stands now.",
    fields: [
      f("purpose", "string", "The purpose's code"),
      f("purposeName", "string", "The purpose"),
      f("channel", "email | sms | phone | post | in_app", "How we may contact you for it"),
      f("status", "granted | refused | withdrawn | expired | pending_confirmation | invalidated | objected", "Where your choice stands"),
      f("since", TIME, "Since when"),
      f("validUntil", TIME, "When a grant lapses, if it does"),
    ],
    records: rows,
  };
}

const CAPTURED_BY: Record<string, (tenant: string) => string> = {
  staff: (t) => `An agent of ${t}, on a call with you`,
  api_key: (t) => `${t}'s own systems (a web form, an automated phone line, a letter they recorded)`,
  customer: () => "You",
  system: () => "Recorded automatically",
};

/** The evidence as kept, but an agent's attestation names the role, not the person (see activity()). */
function evidenceForCustomer(evidence: unknown): Record<string, unknown> | null {
  if (!evidence || typeof evidence !== "object") return null;
  const { attestedBy, ...rest } = evidence as Record<string, unknown>;
  return attestedBy === undefined ? rest : { ...rest, attestedBy: "the agent on the call" };
}

async function consentHistory(tx: Db, c: Context, kind: PackageKind): Promise<DataSet> {
  const rows = await tx
    .select({ event: consentEvents, purposeKey: purposes.key, purposeName: purposes.name, notice: { version: notices.version, kind: notices.kind, language: notices.language, text: notices.text, hash: notices.hash }, evidence: consentEvidence.evidence })
    .from(consentEvents)
    .innerJoin(purposes, and(eq(purposes.tenantId, consentEvents.tenantId), eq(purposes.id, consentEvents.purposeId)))
    .leftJoin(notices, and(eq(notices.tenantId, consentEvents.tenantId), eq(notices.id, consentEvents.noticeId)))
    .leftJoin(consentEvidence, and(eq(consentEvidence.tenantId, consentEvents.tenantId), eq(consentEvidence.eventId, consentEvents.id)))
    .where(and(eq(consentEvents.tenantId, c.tenantId), eq(consentEvents.customerId, c.customer.id)))
    .orderBy(asc(consentEvents.chainSeq));
  const common = [
    f("occurredAt", TIME, "When the choice was made"),
    f("purpose", "string", "The purpose's code"),
    f("purposeName", "string", "The purpose"),
    f("channel", "email | sms | phone | post | in_app", "The channel the choice is for"),
    f("action", "grant | refuse | withdraw | renew | expire | invalidate | request_confirmation | confirm | object", "What happened"),
    f("method", "verbal | web | written | ivr | api | gpc | import", "How the choice was given"),
    f("noticeVersion", "integer", "The version of the words you were read or shown"),
    f("noticeHash", "string (SHA-256, hex)", "Fingerprint of those words, proving which text it was"),
    f("language", "string", "The language of the words"),
    f("validUntil", TIME, "When a grant lapses, if it does"),
  ];
  if (kind === "portability") {
    return {
      key: "consent-history",
      title: "Your consent choices over time",
      description: "Every choice you made about each purpose and channel, oldest first.",
      fields: [...common, f("yourWords", "string", "What you said, where it was written down")],
      records: rows.map(({ event: e, purposeKey, purposeName, notice, evidence }) => ({
        occurredAt: e.occurredAt,
        purpose: purposeKey,
        purposeName,
        channel: e.channel,
        action: e.action,
        method: e.method,
        noticeVersion: notice?.version ?? null,
        noticeHash: notice?.hash ?? null,
        language: e.language,
        validUntil: e.validUntil,
        yourWords: (evidence as { customerWords?: unknown } | null)?.customerWords ?? null,
      })),
    };
  }
  return {
    key: "consent-history",
    title: "Your consent record, event by event",
    description: "Every consent event recorded for you, oldest first, with the exact words you were read or shown and the evidence kept of your answer.",
    fields: [
      f("eventId", "string (UUID)", "The event's reference in our records"),
      ...common,
      f("recordedAt", TIME, "When it was written into our records"),
      f("noticeKind", "script | web", "A script read on a call, or a text shown on a web page"),
      f("noticeLanguage", "string", "The language of the notice"),
      f("noticeText", "string", "The words themselves"),
      f("capturedBy", "string", "Who recorded it"),
      f("recordingRef", "string", "The reference of the call recording, where the call was recorded"),
      f("jurisdiction", "list of strings", "The rules that applied"),
      f("evidence", "object", "The evidence kept: your words, the address and browser a web choice came from"),
    ],
    records: rows.map(({ event: e, purposeKey, purposeName, notice, evidence }) => ({
      eventId: e.id,
      occurredAt: e.occurredAt,
      purpose: purposeKey,
      purposeName,
      channel: e.channel,
      action: e.action,
      method: e.method,
      noticeVersion: notice?.version ?? null,
      noticeHash: notice?.hash ?? null,
      language: e.language,
      validUntil: e.validUntil,
      recordedAt: e.recordedAt,
      noticeKind: notice?.kind ?? null,
      noticeLanguage: notice?.language ?? null,
      noticeText: notice?.text ?? null,
      capturedBy: (CAPTURED_BY[e.capturedByType] ?? CAPTURED_BY.system!)(c.tenantName),
      recordingRef: e.recordingRef,
      jurisdiction: e.jurisdiction,
      evidence: evidenceForCustomer(evidence),
    })),
  };
}

async function disputes(tx: Db, c: Context): Promise<DataSet> {
  const rows = await tx
    .select({ reportedAt: consentDisputes.reportedAt, eventIds: consentDisputes.eventIds, closedAt: consentDisputes.closedAt })
    .from(consentDisputes)
    .where(and(eq(consentDisputes.tenantId, c.tenantId), eq(consentDisputes.customerId, c.customer.id)))
    .orderBy(asc(consentDisputes.reportedAt));
  return {
    key: "consent-disputes",
    title: "Consents you told us were not yours",
    description: "Each time you reported (\"this wasn't me\") that a consent recorded in your name was not given by you.",
    fields: [f("reportedAt", TIME, "When you reported it"), f("disputedEvents", "list of UUIDs", "The consent events you disputed (see consent-history eventId)"), f("closedAt", TIME, "When our review of it was closed")],
    records: rows.map((r) => ({ reportedAt: r.reportedAt, disputedEvents: r.eventIds, closedAt: r.closedAt })),
  };
}

async function preferences(tx: Db, c: Context): Promise<DataSet> {
  const [row] = await tx.select().from(customerPreferences).where(and(eq(customerPreferences.tenantId, c.tenantId), eq(customerPreferences.customerId, c.customer.id)));
  const topics = await tx.select({ key: preferenceTopics.key, name: preferenceTopics.name }).from(preferenceTopics).where(eq(preferenceTopics.tenantId, c.tenantId));
  const topicName = new Map(topics.map((t) => [t.key, t.name]));
  return {
    key: "marketing-preferences",
    title: "Your marketing preferences",
    description: "What you like to hear about and how often. These narrow what a channel you consented to carries; they never allow a channel by themselves.",
    fields: [f("topics", "list of strings", "The topics you chose"), f("topicKeys", "list of strings", "Their codes"), f("frequency", "as_it_happens | weekly | monthly | quarterly", "How often"), f("updatedAt", TIME, "When you last changed them")],
    records: row ? [{ topics: row.topicKeys.map((k) => topicName.get(k) ?? k), topicKeys: row.topicKeys, frequency: row.frequency, updatedAt: row.updatedAt }] : [],
  };
}

async function payments(tx: Db, c: Context): Promise<DataSet> {
  // Named columns only: the vault token and the fingerprint never leave the database.
  const rows = await tx
    .select({
      kind: paymentMethods.kind,
      brand: paymentMethods.brand,
      last4: paymentMethods.last4,
      expMonth: paymentMethods.expMonth,
      expYear: paymentMethods.expYear,
      holderName: paymentMethods.holderName,
      billingAddress: paymentMethods.billingAddress,
      isDefault: paymentMethods.isDefault,
      addedAt: paymentMethods.createdAt,
      removedAt: paymentMethods.removedAt,
    })
    .from(paymentMethods)
    .where(and(eq(paymentMethods.tenantId, c.tenantId), eq(paymentMethods.customerId, c.customer.id)))
    .orderBy(asc(paymentMethods.createdAt));
  return {
    key: "payment-methods",
    title: "Your payment methods",
    description: "Your cards and bank accounts as we hold them. We never keep a full card or account number or a security code: the payment service holds them, and we keep only what is shown here.",
    fields: [
      f("kind", "card | bank_account", "Card or bank account"),
      f("brand", "string", "Card brand, or the bank scheme (iban, us_ach)"),
      f("last4", "string", "The last 4 digits"),
      f("expiry", "string (MM/YYYY)", "Card expiry"),
      f("holderName", "string", "Name on the card"),
      f("billingAddress", ADDRESS, "Billing address"),
      f("isDefault", "boolean", "The one used by default"),
      f("addedAt", TIME, "When it was added"),
      f("removedAt", TIME, "When it was removed, if it was"),
    ],
    records: rows.map(({ expMonth, expYear, billingAddress, ...r }) => ({ ...r, billingAddress: addressRecord(billingAddress), expiry: expMonth && expYear ? `${String(expMonth).padStart(2, "0")}/${expYear}` : null })),
  };
}

async function subscriptionSets(tx: Db, c: Context): Promise<DataSet[]> {
  const rows = await tx
    .select({ s: subscriptions, planKey: plans.key, planName: plans.name, currency: plans.currency, monthlyPrice: plans.monthlyPrice, yearlyPrice: plans.yearlyPrice })
    .from(subscriptions)
    .innerJoin(plans, and(eq(plans.tenantId, subscriptions.tenantId), eq(plans.id, subscriptions.planId)))
    .where(and(eq(subscriptions.tenantId, c.tenantId), eq(subscriptions.customerId, c.customer.id)))
    .orderBy(asc(subscriptions.createdAt));
  const catalogue = await tx.select({ id: plans.id, key: plans.key, name: plans.name }).from(plans).where(eq(plans.tenantId, c.tenantId));
  const addOns = await tx.select({ key: planAddOns.key, name: planAddOns.name }).from(planAddOns).where(eq(planAddOns.tenantId, c.tenantId));
  const planName = new Map(catalogue.map((p) => [p.id, p.name]));
  const addOnName = new Map(addOns.map((a) => [a.key, a.name]));
  const changes = rows.length
    ? await tx
        .select({ at: subscriptionChanges.at, kind: subscriptionChanges.kind, before: subscriptionChanges.before, after: subscriptionChanges.after, effectiveAt: subscriptionChanges.effectiveAt, amountDueNow: subscriptionChanges.amountDueNow, recurringDifference: subscriptionChanges.recurringDifference, reason: subscriptionChanges.reason })
        .from(subscriptionChanges)
        .where(and(eq(subscriptionChanges.tenantId, c.tenantId), eq(subscriptionChanges.customerId, c.customer.id)))
        .orderBy(asc(subscriptionChanges.at))
    : [];
  const currency = rows[0]?.currency ?? null;
  return [
    {
      key: "subscriptions",
      title: "Your subscription",
      description: "Your plan, billing cycle, extras and where your subscription stands. Prices are in minor units (pence, cents).",
      fields: [
        f("plan", "string", "The plan"),
        f("planKey", "string", "Its code"),
        f("cycle", "monthly | yearly", "How often you are billed"),
        f("price", "integer (minor units)", "The plan's price per cycle"),
        f("currency", "string (ISO 4217)", "Currency"),
        f("addOns", "list of strings", "Extras"),
        f("status", "active | paused | cancelled", "Where it stands"),
        f("currentPeriodStart", TIME, "Start of the current billing period"),
        f("currentPeriodEnd", TIME, "End of the current billing period"),
        f("pendingPlan", "string", "A plan change waiting for the end of the period"),
        f("pendingCycle", "monthly | yearly", "A cycle change waiting for the end of the period"),
        f("pendingEffectiveAt", TIME, "When the waiting change applies"),
        f("pausedAt", TIME, "When it was paused"),
        f("cancelledAt", TIME, "When it was cancelled"),
        f("statusReason", "string", "Why its status changed, where recorded"),
        f("startedAt", TIME, "When it started"),
      ],
      records: rows.map(({ s, planKey, planName: name, currency: cur, monthlyPrice, yearlyPrice }) => ({
        plan: name,
        planKey,
        cycle: s.cycle,
        price: s.cycle === "monthly" ? monthlyPrice : yearlyPrice,
        currency: cur,
        addOns: s.addOnKeys.map((k) => addOnName.get(k) ?? k),
        status: s.status,
        currentPeriodStart: s.currentPeriodStart,
        currentPeriodEnd: s.currentPeriodEnd,
        pendingPlan: s.pendingPlanId ? (planName.get(s.pendingPlanId) ?? null) : null,
        pendingCycle: s.pendingCycle,
        pendingEffectiveAt: s.pendingEffectiveAt,
        pausedAt: s.pausedAt,
        cancelledAt: s.cancelledAt,
        statusReason: s.statusReason,
        startedAt: s.createdAt,
      })),
    },
    {
      key: "subscription-changes",
      title: "Changes to your subscription",
      description: "Every change to your subscription, oldest first, with what it cost or credited. Amounts are in minor units (pence, cents).",
      fields: [
        f("at", TIME, "When the change was made"),
        f("kind", "string", "What kind of change"),
        f("before", "object", "What it was"),
        f("after", "object", "What it became"),
        f("effectiveAt", TIME, "From when it applies"),
        f("amountDueNow", "integer (minor units)", "Charged now (negative: credited)"),
        f("recurringDifference", "integer (minor units)", "Change in the price per cycle"),
        f("currency", "string (ISO 4217)", "Currency"),
        f("reason", "string", "Why, where recorded"),
      ],
      records: changes.map((ch) => ({ ...ch, currency })),
    },
  ];
}

async function calls(tx: Db, c: Context): Promise<DataSet> {
  const rows = await tx
    .select({ channel: interactions.channel, startedAt: interactions.startedAt, endedAt: interactions.endedAt, callerNumber: interactions.callerNumber, recordingRef: interactions.recordingRef, disposition: interactions.disposition, summary: interactions.summary })
    .from(interactions)
    .where(and(eq(interactions.tenantId, c.tenantId), eq(interactions.customerId, c.customer.id)))
    .orderBy(asc(interactions.startedAt));
  return {
    key: "calls",
    title: "Your calls and chats with us",
    description: `Each call or chat with ${c.tenantName}'s contact centre: when, how it ended and the agent's summary. The number called from is shown masked, since it may not have been yours.`,
    fields: [
      f("channel", "phone | chat", "Call or chat"),
      f("startedAt", TIME, "When it started"),
      f("endedAt", TIME, "When it ended"),
      f("callerNumber", "string (masked)", "The number it came from, last 3 digits only"),
      f("recordingRef", "string", "The reference of its recording, where it was recorded"),
      f("disposition", "resolved | follow_up | transferred | escalated | dropped | wrong_caller", "How it ended"),
      f("summary", "string", "The agent's summary"),
    ],
    records: rows.map((r) => ({ ...r, callerNumber: maskPhone(r.callerNumber) })),
  };
}

async function identityChecks(tx: Db, c: Context): Promise<DataSet[]> {
  const rows = await tx
    .select({ id: verifications.id, at: verifications.createdAt, level: verifications.level, levelReachedAt: verifications.levelReachedAt, failedFactors: verifications.failedFactors, lockedAt: verifications.lockedAt })
    .from(verifications)
    .where(and(eq(verifications.tenantId, c.tenantId), eq(verifications.customerId, c.customer.id)))
    .orderBy(asc(verifications.createdAt));
  const factors = rows.length
    ? await tx
        .select({ verificationId: verificationFactors.verificationId, kind: verificationFactors.kind, outcome: verificationFactors.outcome })
        .from(verificationFactors)
        .where(and(eq(verificationFactors.tenantId, c.tenantId), inArray(verificationFactors.verificationId, rows.map((r) => r.id))))
        .orderBy(asc(verificationFactors.createdAt))
    : [];
  const [security] = await tx
    .select({ question: customerSecurity.securityQuestion, answerSet: sql<boolean>`${customerSecurity.securityAnswerHash} is not null`, passwordResetSentAt: customerSecurity.passwordResetSentAt, mfaResetAt: customerSecurity.mfaResetAt })
    .from(customerSecurity)
    .where(and(eq(customerSecurity.tenantId, c.tenantId), eq(customerSecurity.customerId, c.customer.id)));
  return [
    {
      key: "identity-checks",
      title: "How we checked it was you",
      description: "On each call, the checks asked and whether they matched. What you answered is never kept: only whether it matched.",
      fields: [
        f("at", TIME, "When the check started"),
        f("level", "none | basic | strong", "The level reached"),
        f("levelReachedAt", TIME, "When it was reached"),
        f("checks", "list of strings", "Each check asked and its outcome"),
        f("failedChecks", "integer", "How many did not match"),
        f("lockedAt", TIME, "When checking stopped after too many failures, if it did"),
      ],
      records: rows.map((r) => ({ at: r.at, level: r.level, levelReachedAt: r.levelReachedAt, checks: factors.filter((x) => x.verificationId === r.id).map((x) => `${x.kind}: ${x.outcome}`), failedChecks: r.failedFactors, lockedAt: r.lockedAt })),
    },
    {
      key: "security-settings",
      title: "Your security settings",
      description: "Your security question and account-security events. The answer is held only as a one-way hash, which cannot be turned back into it, and is not included.",
      fields: [f("securityQuestion", "string", "Your security question"), f("securityAnswerSet", "boolean", "Whether an answer is set"), f("passwordResetSentAt", TIME, "When a password-reset link was last sent to you"), f("mfaResetAt", TIME, "When two-step verification was last reset")],
      records: security ? [{ securityQuestion: security.question, securityAnswerSet: security.answerSet, passwordResetSentAt: security.passwordResetSentAt, mfaResetAt: security.mfaResetAt }] : [],
    },
  ];
}

async function requests(tx: Db, c: Context): Promise<DataSet> {
  const rows = await tx
    .select()
    .from(privacyRequests)
    .where(and(eq(privacyRequests.tenantId, c.tenantId), eq(privacyRequests.customerId, c.customer.id)))
    .orderBy(asc(privacyRequests.receivedAt));
  return {
    key: "privacy-requests",
    title: "Your privacy requests",
    description: "Each request you made about your data (this one included) and how it was handled.",
    fields: [
      f("type", "access | portability | rectification | erasure | restriction | objection | opt_out_sale_share", "What you asked for"),
      f("status", "identity_pending | open | in_progress | awaiting_release | completed | rejected", "Where it stands"),
      f("channel", "string", "How it reached us"),
      f("receivedAt", TIME, "When we received it"),
      f("dueAt", TIME, "When the answer is due by law"),
      f("extendedAt", TIME, "When we told you we needed more time, if we did"),
      f("extensionReason", "string", "Why"),
      f("identityConfirmedAt", TIME, "When we confirmed it was you, where that was needed"),
      f("yourWords", "string", "What you asked, in your words"),
      f("resolution", "string", "What was done"),
      f("rejectionResponse", "string", "Our answer if we refused it"),
      f("kept", "list", "After an erasure: what was kept, why and until when"),
      f("completedAt", TIME, "When it was closed"),
    ],
    records: rows.map((r) => ({
      type: r.type,
      status: r.status,
      channel: r.channel,
      receivedAt: r.receivedAt,
      dueAt: r.dueAt,
      extendedAt: r.extendedAt,
      extensionReason: r.extensionReason,
      identityConfirmedAt: r.identityConfirmedAt,
      yourWords: r.customerWords,
      resolution: r.resolution,
      rejectionResponse: r.rejectionResponse,
      kept: r.kept,
      completedAt: r.completedAt,
    })),
  };
}

async function messages(tx: Db, c: Context): Promise<DataSet> {
  const rows = await tx
    .select({ createdAt: outboxMessages.createdAt, channel: outboxMessages.channel, to: outboxMessages.recipient, subject: outboxMessages.subject, body: outboxMessages.body, sensitive: outboxMessages.sensitive, status: outboxMessages.status, deliveredAt: outboxMessages.deliveredAt })
    .from(outboxMessages)
    .where(and(eq(outboxMessages.tenantId, c.tenantId), eq(outboxMessages.customerId, c.customer.id), inArray(outboxMessages.channel, ["email", "sms"])))
    .orderBy(asc(outboxMessages.createdAt));
  return {
    key: "messages",
    title: "Messages we sent you",
    description: "Emails and texts sent to you. One-time codes and links that open your data are never kept in readable form, so their text is not included.",
    fields: [
      f("createdAt", TIME, "When it was written"),
      f("channel", "email | sms", "Email or text"),
      f("to", "string", "Where it went"),
      f("subject", "string", "Its subject"),
      f("body", "string", "Its text (empty for a one-time code or a link to your data)"),
      f("status", "pending | sending | delivered | failed", "Whether it was delivered"),
      f("deliveredAt", TIME, "When"),
    ],
    // A sensitive body is sealed at rest and cleared after delivery: it is never unsealed for a package.
    records: rows.map(({ sensitive, body, ...r }) => ({ ...r, body: sensitive ? null : body })),
  };
}

/**
 * "Who accessed or changed your data": every audit event about the customer, by role rather than by
 * person. The staff who act are the controller's (and its processor's) people acting under its
 * authority; the CJEU held that the right of access covers the dates and purposes of consultations
 * but not, in principle, the identity of those employees (C-579/21 Pankki S, 22 June 2023). So an
 * entry reads "a supervisor acting for Acme Energy": the staff member's name is disclosed only on a
 * specific request, weighed case by case. Before/after values and reasons are left out: they are
 * masked, and a reason is staff's free text that may name others.
 */
async function activity(tx: Db, c: Context): Promise<DataSet> {
  const rows = await tx
    .select({ at: auditEvents.at, action: auditEvents.action, entityType: auditEvents.entityType, actorType: auditEvents.actorType, actorId: auditEvents.actorId, actorLabel: auditEvents.actorLabel, outcome: auditEvents.outcome })
    .from(auditEvents)
    .where(and(eq(auditEvents.tenantId, c.tenantId), eq(auditEvents.customerId, c.customer.id)))
    .orderBy(asc(auditEvents.at));
  const staffIds = [...new Set(rows.filter((r) => r.actorType === "staff" && r.actorId && z.uuid().safeParse(r.actorId).success).map((r) => r.actorId!))];
  const roles = staffIds.length ? await tx.select({ id: staffUsers.id, role: staffUsers.role }).from(staffUsers).where(inArray(staffUsers.id, staffIds)) : [];
  const roleOf = new Map(roles.map((r) => [r.id, r.role]));
  const by = (r: (typeof rows)[number]) => {
    if (r.actorType === "staff") return `${r.actorId && roleOf.get(r.actorId) === "agent" ? "An agent" : r.actorId && roleOf.get(r.actorId) === "admin" ? "An administrator" : r.actorId && roleOf.get(r.actorId) ? "A supervisor" : "A staff member"} acting for ${c.tenantName}`;
    if (r.actorType === "api_key") return `${c.tenantName}'s own systems`;
    if (r.actorType === "customer") return "You";
    return `Attest, automatically (${r.actorLabel ?? "system"})`;
  };
  return {
    key: "activity",
    title: "Who accessed or changed your data",
    description: `Every recorded access to and change of your data, oldest first: when, what, and who in which role. Staff are named by their role: they act for ${c.tenantName}, and a name is given only on a specific request.`,
    fields: [f("at", TIME, "When"), f("action", "string", "What was done (for example customer.field_revealed: a masked detail was shown to an agent)"), f("about", "string", "What it concerned"), f("by", "string", "Who, by role"), f("outcome", "success | failure", "Whether it succeeded")],
    records: rows.map((r) => ({ at: r.at, action: r.action, about: r.entityType.replaceAll("_", " "), by: by(r), outcome: r.outcome })),
  };
}

// ---------------------------------------------------------------------------------------------
// What the customer is told about the processing (B6 beyond the copy itself)

const GDPR_RIGHTS = [
  "To have inaccurate data corrected (rectification, Art. 16)",
  "To have your data erased (Art. 17), except what the law requires us to keep",
  "To restrict the use of your data (Art. 18)",
  "To object to processing based on legitimate interests (Art. 21(1)), and to object at any time, without giving a reason, to direct marketing (Art. 21(2))",
  "To receive the data you gave us in a portable format (Art. 20)",
  "To withdraw a consent at any time (Art. 7(3)); it does not affect what was done before",
  "Not to be subject to a decision based solely on automated processing (Art. 22)",
];

const RIGHTS: Record<Regime, string[]> = {
  uk_gdpr: GDPR_RIGHTS,
  gdpr: GDPR_RIGHTS,
  ccpa: [
    "To know what personal information we hold and how it is used and disclosed",
    "To have it corrected",
    "To have it deleted, except what the law requires us to keep",
    "To opt out of the sale or sharing of your personal information",
    "To limit the use of sensitive personal information",
    "Not to be treated differently for using these rights",
  ],
  hipaa: ["To inspect and get a copy of your health information", "To ask for it to be amended", "To get an accounting of disclosures", "To ask for restrictions and for confidential communications"],
};

const SERVICE_PURPOSES = [
  { purpose: "Running your account and the service you subscribe to (profile, subscription, payments)", legalBasis: LEGAL_BASIS_WORDS.contract },
  { purpose: "Handling your calls and requests, including checking that a caller is you", legalBasis: `${LEGAL_BASIS_WORDS.contract}; and ${LEGAL_BASIS_WORDS.legitimate_interests} (protecting your account from fraud)` },
  { purpose: "Keeping proof of your consents and requests, and a record of who accessed your data", legalBasis: `${LEGAL_BASIS_WORDS.legal_obligation}: accountability (Art. 5(2), 7(1), 30)` },
];

const SOURCE_WORDS: Record<string, string> = {
  verbal: "what you said on calls with our contact centre",
  web: "choices you made on web pages",
  written: "letters and forms you sent",
  ivr: "choices you made on an automated phone line",
  api: "records passed to us by the organisation's own systems",
  gpc: "the Global Privacy Control signal your browser sent",
  import: "records imported from the organisation's earlier systems",
};

async function aboutThisData(tx: Db, c: Context, sets: DataSet[], kind: PackageKind) {
  const tenantPurposes = await tx.select().from(purposes).where(eq(purposes.tenantId, c.tenantId)).orderBy(asc(purposes.key));
  const endpoints = await tx
    .select({ description: webhookEndpoints.description, eventTypes: webhookEndpoints.eventTypes })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.tenantId, c.tenantId), isNull(webhookEndpoints.disabledAt)))
    .orderBy(asc(webhookEndpoints.createdAt));
  const methods = await tx.selectDistinct({ method: consentEvents.method }).from(consentEvents).where(and(eq(consentEvents.tenantId, c.tenantId), eq(consentEvents.customerId, c.customer.id)));
  const t = c.tenantName;
  return {
    about: `${kind === "access" ? "A copy of the personal data" : "The personal data you provided"} ${t} holds about you in its contact-centre records, prepared on ${day(c.builtAt)} in answer to your request of ${day(c.request.receivedAt)}.`,
    generatedAt: c.builtAt.toISOString(),
    request: { reference: c.request.id, type: c.request.type, receivedAt: c.request.receivedAt.toISOString() },
    confirmation: `Yes: ${t} processes personal data about you. All of it held in these records is in this package.`,
    controller: { name: t, role: `The controller: ${t} decides why and how your data is used.` },
    processor: `The contact-centre company (a BPO) that answers ${t}'s calls and runs these records does so on ${t}'s behalf and only on its instructions (a processor, GDPR Art. 28).`,
    purposes: [
      ...SERVICE_PURPOSES,
      ...tenantPurposes.map((p) => ({
        purpose: p.name,
        code: p.key,
        legalBasis: LEGAL_BASIS_WORDS[p.legalBasis] ?? p.legalBasis,
        category: p.category,
        specialCategory: p.specialCategory,
        channels: p.channels,
      })),
    ],
    categoriesOfData: sets.filter((s) => s.records.length > 0).map((s) => ({ category: s.title, file: `${s.key}.json`, records: s.records.length })),
    recipients: [
      { recipient: `The contact-centre company (BPO) acting for ${t}`, role: "Processor: handles your calls and keeps these records" },
      { recipient: "Our payment service", role: "Processor: holds your full card and account numbers; we keep only the brand and last 4 digits" },
      { recipient: "Our email and SMS delivery services", role: "Processors: carry the messages we send you" },
      ...endpoints.map((e) => ({ recipient: e.description, role: `${t}'s own system, told of changes (${e.eventTypes.join(", ")}) so that your choices reach it` })),
    ],
    internationalTransfers: `These records do not send your data to another country themselves. The recipient systems above are ${t}'s own: ${t} can tell you where they are and which safeguards protect a transfer (GDPR Art. 15(2)).`,
    retention: [
      "Your profile, contact history, preferences and subscription: while you are a customer, then only as long as the law requires (for example billing records for tax purposes), then deleted.",
      "Consent records: while we rely on them, and afterwards only as long as needed to prove how your consent was obtained (the time limit for legal claims). If your data is erased, what you said is deleted and only a fingerprint (hash) remains.",
      "Payment methods: while they are on your account; a removed one keeps only its brand, last 4 digits and dates, for billing records.",
      "Call records: as long as " + t + "'s policy for customer-service records sets, and no longer than needed.",
      "Privacy requests: at least 24 months after they are closed (longer where the law requires), to show how they were handled.",
      "The record of who accessed your data: kept as a security and accountability record (at least 12 months); it holds no name, email, phone or address in readable form.",
      `This package: the download link works for ${DOWNLOAD_LINK_TTL_MS / 86_400_000} days, and the file is deleted when it expires.`,
    ],
    yourRights: RIGHTS[c.regime],
    howToUseYourRights: `Call ${t} on the number on its website: no form or special words are needed.`,
    rightToComplain: `You have the right to complain to ${COMPLAINT_ROUTE[c.regime]}${c.regime === "gdpr" || c.regime === "uk_gdpr" ? ", and the right to seek a judicial remedy through the courts" : ""}.`,
    source: [
      `From you: ${methods.length ? methods.map((m) => SOURCE_WORDS[m.method] ?? m.method).join("; ") : "what you told us"}; and the details you gave when your account was opened.`,
      "Made by us as we handled your data: the record of calls, identity checks, messages and who accessed your data.",
    ],
    automatedDecisionMaking: `None: no decision with legal or similarly significant effects is made about you by automated means alone (GDPR Art. 22). Before contacting you, ${t}'s systems ask these records whether you agreed; that check only applies the choices you made.`,
    whoAccessedYourData: `activity.json lists every recorded access and change, by role: the staff who act for ${t} are not named individually (the right of access covers when and why your data was consulted, not in principle the identity of the employees: CJEU C-579/21). Ask if you need a name to exercise your rights, and ${t} will consider it.`,
    otherPeople: "Before release, this package was reviewed so that it does not disclose other people's personal data (for example a third party mentioned in a call note).",
    files: "See README.txt and schema.json.",
  };
}

function readme(c: Context, kind: PackageKind, sets: DataSet[], about: Awaited<ReturnType<typeof aboutThisData>> | null): string {
  const t = c.tenantName;
  const lines = [
    kind === "access" ? `YOUR PERSONAL DATA HELD BY ${t.toUpperCase()}` : `YOUR PORTABLE DATA FROM ${t.toUpperCase()}`,
    "",
    kind === "access"
      ? `This is the copy of your personal data you asked for on ${day(c.request.receivedAt)}, prepared on ${day(c.builtAt)}.`
      : `This is the data you gave ${t}, in a structured, machine-readable format you can take to another organisation (your request of ${day(c.request.receivedAt)}). It holds what you provided: your profile, your marketing preferences and your consent choices. Records ${t} made itself (calls, identity checks, the activity log) are not part of it: ask for a copy of your data (a subject access request) to receive those too. If you want it sent directly to another organisation, call ${t} on the number on its website.`,
    "",
    "Each set of data is in two files: a .json file (for computers) and a .csv file (opens in a spreadsheet). schema.json describes every field.",
    ...(about ? ["about-this-data.json says why your data is used, who receives it, how long it is kept, your rights and where to complain."] : []),
    "",
    "FILES",
    ...sets.map((s) => `  ${s.key}.json / ${s.key}.csv: ${s.title} (${s.records.length} ${s.records.length === 1 ? "record" : "records"})`),
    "",
    ...(about ? ["YOUR RIGHTS", ...about.yourRights.map((r) => `  - ${r}`), `  ${about.howToUseYourRights}`, "", about.rightToComplain, ""] : []),
    "Keep this file safe: it holds your personal data.",
    "",
  ];
  return lines.join("\r\n");
}

async function packageData(tx: Db, c: Context, kind: PackageKind): Promise<{ sets: DataSet[]; documents: { name: string; content: string }[] }> {
  if (kind === "portability") {
    const sets = [profile(c, kind), await preferences(tx, c), await currentConsents(tx, c), await consentHistory(tx, c, kind)];
    return { sets, documents: [{ name: "README.txt", content: readme(c, kind, sets, null) }] };
  }
  const sets = [
    profile(c, kind),
    await contactPoints(tx, c),
    await currentConsents(tx, c),
    await consentHistory(tx, c, kind),
    await disputes(tx, c),
    await preferences(tx, c),
    await payments(tx, c),
    ...(await subscriptionSets(tx, c)),
    await calls(tx, c),
    ...(await identityChecks(tx, c)),
    await requests(tx, c),
    await messages(tx, c),
    await activity(tx, c),
  ];
  const about = await aboutThisData(tx, c, sets, kind);
  return {
    sets,
    documents: [
      { name: "README.txt", content: readme(c, kind, sets, about) },
      { name: "about-this-data.json", content: `${JSON.stringify(about, null, 2)}\n` },
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// The steps

const withoutContents = (p: AccessPackage): AccessPackage => ({ ...p, contents: null });

/**
 * Builds the package of an access (B6) or portability (B12) request: everything held about the
 * customer (access) or what they provided (portability), as JSON and CSV in one zip, stored with its
 * SHA-256 and manifest. The request then waits for review and release (B7). Building again replaces
 * a package not yet released (its contents are dropped). Answers the package without its contents.
 */
export async function buildAccessPackage(db: Db, actor: Actor, input: { requestId: string; version: number }, now = new Date()): Promise<AccessPackage> {
  assertRole(actor, "supervisor", "admin");
  let built: AccessPackage | undefined;
  await requestStep(
    db,
    actor,
    input,
    async (tx, request) => {
      const kind = kindOf(request.type);
      if (!kind) throw new ConflictError("Only an access or portability request has a package.");
      if (request.status === "identity_pending") throw new ConflictError("Confirm the requester's identity first.");
      if (!["open", "in_progress", "awaiting_release"].includes(request.status)) throw new ConflictError(`This request is ${request.status}; nothing more can be done to it.`);
      const [customer] = await tx.select().from(customers).where(and(eq(customers.tenantId, request.tenantId), eq(customers.id, request.customerId)));
      if (!customer || customer.status === "erased") throw new ConflictError("This customer's data has been erased: there is nothing to put in a package.");
      const [tenant] = await tx.select({ name: tenants.name, rulePacks: tenants.rulePacks }).from(tenants).where(eq(tenants.id, request.tenantId));
      const context: Context = { tenantId: request.tenantId, tenantName: tenant!.name, rulePacks: tenant!.rulePacks, regime: request.regime as Regime, customer, request, builtAt: now };
      const { sets, documents } = await packageData(tx, context, kind);
      const pkg = assemblePackage({ documents, sets, generatedAt: now });

      const replaced = await tx
        .update(accessPackages)
        .set({ contents: null, droppedAt: now })
        .where(and(eq(accessPackages.tenantId, request.tenantId), eq(accessPackages.requestId, request.id), isNull(accessPackages.releasedAt), isNull(accessPackages.droppedAt)))
        .returning({ id: accessPackages.id });
      const [stored] = await tx
        .insert(accessPackages)
        .values({
          tenantId: request.tenantId,
          requestId: request.id,
          customerId: request.customerId,
          contents: Buffer.from(pkg.zip).toString("base64"),
          sha256: pkg.sha256,
          sizeBytes: pkg.sizeBytes,
          manifest: pkg.manifest,
          builtAt: now,
          builtBy: actor.type === "staff" ? actor.id : null,
        })
        .returning();
      built = withoutContents(stored!);
      return {
        action: "package_built",
        set: { status: "awaiting_release", assignedTo: request.assignedTo ?? (actor.type === "staff" ? actor.id : null) },
        after: { packageId: stored!.id, kind, files: pkg.manifest.length, sizeBytes: pkg.sizeBytes, sha256: pkg.sha256, replaced: replaced.map((r) => r.id) },
      };
    },
    now,
  );
  return built!;
}

/**
 * B7: a supervisor confirms the package was reviewed for other people's data (redacted where needed),
 * and releases it: the approval is recorded, a download link valid for DOWNLOAD_LINK_TTL_MS is sent
 * sealed to the contact on file (its token is kept only as a SHA-256), and the request is completed.
 * One transaction: no link without the completion, no completion without the link.
 */
export async function reviewAndReleasePackage(
  db: Db,
  actor: Actor,
  input: { requestId: string; version: number; reviewNote: string; thirdPartyDataReviewed: boolean },
  now = new Date(),
): Promise<{ request: PrivacyRequest; expiresAt: Date }> {
  assertRole(actor, "supervisor", "admin");
  const parsed = releasePackageSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(fieldErrorsFromZod(parsed.error.issues));
  const { reviewNote } = parsed.data;
  const expiresAt = new Date(now.getTime() + DOWNLOAD_LINK_TTL_MS);
  const request = await requestStep(
    db,
    actor,
    parsed.data,
    async (tx, request) => {
      const kind = kindOf(request.type);
      if (!kind) throw new ConflictError("Only an access or portability request has a package.");
      if (request.status !== "awaiting_release") throw new ConflictError(request.status === "identity_pending" ? "Confirm the requester's identity first." : "Build the package before releasing it.");
      const [pkg] = await tx
        .select({ id: accessPackages.id, manifest: accessPackages.manifest, sizeBytes: accessPackages.sizeBytes, sha256: accessPackages.sha256 })
        .from(accessPackages)
        .where(and(eq(accessPackages.tenantId, request.tenantId), eq(accessPackages.requestId, request.id), isNull(accessPackages.releasedAt), isNull(accessPackages.droppedAt), isNotNull(accessPackages.contents)))
        .orderBy(desc(accessPackages.builtAt))
        .limit(1)
        .for("update");
      if (!pkg) throw new ConflictError("Build the package before releasing it.");
      const contact = await customerContact(tx, request.tenantId, request.customerId);
      if (!contact?.route) throw new ConflictError("There is no email address or phone number on file to send the download link to. Add one to the customer's profile first.");

      const token = randomBytes(32).toString("base64url");
      await tx
        .update(accessPackages)
        .set({ reviewedAt: now, reviewedBy: actor.type === "staff" ? actor.id : null, reviewNote, releasedAt: now, downloadTokenHash: tokenHash(token), downloadExpiresAt: expiresAt })
        .where(and(eq(accessPackages.tenantId, request.tenantId), eq(accessPackages.id, pkg.id)));
      await enqueueMessage(
        tx,
        {
          tenantId: request.tenantId,
          channel: contact.route.channel,
          template: "privacy_request.package_ready",
          recipient: contact.route.to,
          ...accessPackageReady(contact.tenantName, downloadUrl(token), expiresAt),
          sensitive: true,
          customerId: request.customerId,
        },
        now,
      );
      const what = kind === "access" ? "Access package" : "Portability package";
      const resolution = `${what} ${pkg.id} (${pkg.manifest.length} files, ${Math.max(1, Math.round(pkg.sizeBytes / 1024))} KB, SHA-256 ${pkg.sha256.slice(0, 12)}…) reviewed for other people's data and released: download link sent by ${contact.route.channel}, valid until ${expiresAt.toISOString()}.`;
      return {
        action: "package_released",
        set: { status: "completed", resolution, completedAt: now, completedBy: actor.type === "staff" ? actor.id : null },
        // The note is the reviewer's own words, kept on the package (cleared at erasure); the
        // append-only audit only says where it is.
        reason: "review note recorded on the access package",
        after: { packageId: pkg.id, thirdPartyDataReviewed: true, linkSentBy: contact.route.channel, linkExpiresAt: expiresAt.toISOString() },
      };
    },
    now,
  );
  return { request, expiresAt };
}

/** The package of a request as the supervisor screen shows it: the latest built, without its contents. */
export async function currentPackage(db: Db, actor: Actor, requestId: string): Promise<AccessPackage | null> {
  assertRole(actor, "supervisor", "admin");
  const request = await requestOf(db, actor, requestId);
  const [row] = await db
    .select()
    .from(accessPackages)
    .where(and(eq(accessPackages.tenantId, request.tenantId), eq(accessPackages.requestId, request.id)))
    .orderBy(desc(accessPackages.builtAt), sql`${accessPackages.droppedAt} is null desc`)
    .limit(1);
  return row ? withoutContents(row) : null;
}

/**
 * B7: the reviewer has to read the package before releasing it, so a supervisor or admin of the
 * request's brand downloads the zip awaiting release. Only that one: once released the customer has
 * it, and once dropped or replaced it is gone. Each download is audited (who, from where: the staff
 * actor's address) and shows in the customer's own record of who accessed their data.
 */
export async function packageForReview(db: Db, actor: Actor, requestId: string): Promise<{ fileName: string; bytes: Uint8Array<ArrayBuffer>; packageId: string }> {
  assertRole(actor, "supervisor", "admin");
  return db.transaction(async (tx) => {
    const request = await requestOf(tx, actor, requestId);
    assertTenantAccess(actor, request.tenantId);
    const kind = kindOf(request.type);
    if (!kind) throw new NotFoundError("Only an access or portability request has a package.");
    const [pkg] = await tx
      .select()
      .from(accessPackages)
      .where(and(eq(accessPackages.tenantId, request.tenantId), eq(accessPackages.requestId, request.id)))
      .orderBy(desc(accessPackages.builtAt), sql`${accessPackages.droppedAt} is null desc`)
      .limit(1);
    if (!pkg) throw new NotFoundError("No package has been built for this request yet.");
    if (pkg.releasedAt) throw new ConflictError("This package has been released to the customer: it is downloaded for review only before its release.");
    if (pkg.droppedAt || pkg.contents === null || request.status !== "awaiting_release") throw new ConflictError("This package is no longer held: build it again to review it.");
    const [tenant] = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, request.tenantId));
    await recordAudit(tx, actor, {
      tenantId: request.tenantId,
      action: "access_package.downloaded_for_review",
      entityType: "access_package",
      entityId: pkg.id,
      customerId: request.customerId,
      after: { requestId: request.id, sizeBytes: pkg.sizeBytes, sha256: pkg.sha256 },
      reason: "the review before release (B7)",
    });
    return { fileName: `review-${packageFileName(tenant!.name, kind, pkg.builtAt)}`, bytes: new Uint8Array(Buffer.from(pkg.contents, "base64")), packageId: pkg.id };
  });
}

// ---------------------------------------------------------------------------------------------
// The customer's download

type Found = { pkg: AccessPackage; tenantName: string; kind: PackageKind };

async function packageByToken(db: Db, token: string, now: Date, forUpdate: boolean): Promise<Found> {
  if (typeof token !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(token)) throw new DownloadLinkError("unknown");
  const query = db
    .select({ pkg: accessPackages, tenantName: tenants.name, type: privacyRequests.type })
    .from(accessPackages)
    .innerJoin(tenants, eq(tenants.id, accessPackages.tenantId))
    .innerJoin(privacyRequests, and(eq(privacyRequests.tenantId, accessPackages.tenantId), eq(privacyRequests.id, accessPackages.requestId)))
    .where(eq(accessPackages.downloadTokenHash, tokenHash(token)));
  const [row] = forUpdate ? await query.for("update", { of: accessPackages }) : await query;
  if (!row || !row.pkg.releasedAt || !row.pkg.downloadExpiresAt) throw new DownloadLinkError("unknown");
  if (row.pkg.downloadExpiresAt.getTime() <= now.getTime()) throw new DownloadLinkError("expired");
  if (row.pkg.droppedAt || row.pkg.contents === null) throw new DownloadLinkError("dropped");
  return { pkg: row.pkg, tenantName: row.tenantName, kind: kindOf(row.type) ?? "access" };
}

export type PackageDownloadView = { tenantName: string; kind: PackageKind; fileName: string; expiresAt: Date; sizeBytes: number; fileCount: number; builtAt: Date };

/** What a download link is, for its page: reads nothing of the contents and writes nothing (a mail scanner may open it). */
export async function packageDownloadView(db: Db, token: string, now = new Date()): Promise<PackageDownloadView> {
  const { pkg, tenantName, kind } = await packageByToken(db, token, now, false);
  return { tenantName, kind, fileName: packageFileName(tenantName, kind, pkg.builtAt), expiresAt: pkg.downloadExpiresAt!, sizeBytes: pkg.sizeBytes, fileCount: pkg.manifest.length, builtAt: pkg.builtAt };
}

export type DownloadMeta = { ip: string | null; userAgent?: string | null };

/**
 * The zip itself, for the customer following the link before it expires. Each download is counted
 * and audited (the system acting on the link, with the request's IP), in one transaction.
 */
export async function packageForDownload(
  db: Db,
  token: string,
  now = new Date(),
  meta: DownloadMeta = { ip: null },
): Promise<{ fileName: string; bytes: Uint8Array<ArrayBuffer>; tenantName: string; expiresAt: Date; sizeBytes: number }> {
  return db.transaction(async (tx) => {
    const { pkg, tenantName, kind } = await packageByToken(tx, token, now, true);
    const bytes = new Uint8Array(Buffer.from(pkg.contents!, "base64"));
    const [updated] = await tx
      .update(accessPackages)
      .set({ downloadCount: sql`${accessPackages.downloadCount} + 1`, lastDownloadedAt: now })
      .where(and(eq(accessPackages.tenantId, pkg.tenantId), eq(accessPackages.id, pkg.id)))
      .returning({ downloadCount: accessPackages.downloadCount });
    await recordAudit(tx, systemActor("customer download link", meta.ip), {
      tenantId: pkg.tenantId,
      action: "access_package.downloaded",
      entityType: "access_package",
      entityId: pkg.id,
      customerId: pkg.customerId,
      after: { requestId: pkg.requestId, downloadCount: updated!.downloadCount, sizeBytes: pkg.sizeBytes, userAgent: meta.userAgent?.slice(0, 200) ?? null },
    });
    return { fileName: packageFileName(tenantName, kind, pkg.builtAt), bytes, tenantName, expiresAt: pkg.downloadExpiresAt!, sizeBytes: pkg.sizeBytes };
  });
}

const DROP_BATCH = 100;

/**
 * The zip is personal data: it is dropped (contents cleared, dropped_at set, audited) once its link
 * has expired, and also when it was never released and its request has since been closed (refused,
 * say). Claims rows with SKIP LOCKED so that any number of workers can run it.
 */
export async function dropExpiredPackages(db: Db, now = new Date()): Promise<{ dropped: number; moreWaiting: boolean }> {
  return db.transaction(async (tx) => {
    const closed = tx
      .select({ id: privacyRequests.id })
      .from(privacyRequests)
      .where(and(eq(privacyRequests.tenantId, accessPackages.tenantId), eq(privacyRequests.id, accessPackages.requestId), inArray(privacyRequests.status, ["completed", "rejected"])));
    const due = await tx
      .select({ tenantId: accessPackages.tenantId, id: accessPackages.id, customerId: accessPackages.customerId, requestId: accessPackages.requestId, releasedAt: accessPackages.releasedAt })
      .from(accessPackages)
      .where(and(isNotNull(accessPackages.contents), or(lte(accessPackages.downloadExpiresAt, now), and(isNull(accessPackages.releasedAt), sql`exists (${closed})`))))
      .limit(DROP_BATCH + 1)
      .for("update", { skipLocked: true });
    const batch = due.slice(0, DROP_BATCH);
    const actor = systemActor("access package expiry");
    for (const p of batch) {
      await tx.update(accessPackages).set({ contents: null, droppedAt: now }).where(and(eq(accessPackages.tenantId, p.tenantId), eq(accessPackages.id, p.id)));
      await recordAudit(tx, actor, {
        tenantId: p.tenantId,
        action: "access_package.dropped",
        entityType: "access_package",
        entityId: p.id,
        customerId: p.customerId,
        after: { requestId: p.requestId },
        reason: p.releasedAt ? "the download link expired" : "never released, and its request is closed",
      });
    }
    return { dropped: batch.length, moreWaiting: due.length > DROP_BATCH };
  });
}

/** Drops expired packages every `intervalMs`, batch after batch; returns a stop function (see lib/jobs/periodic.ts). */
export function startPackageExpiry(getDb: () => Promise<Db>, intervalMs: number): () => Promise<void> {
  return startPeriodicJob("Access package expiry", intervalMs, async () => ({ moreWaiting: (await dropExpiredPackages(await getDb())).moreWaiting }));
}
