import type { PrivacyRequestType } from "@/db/schema";
import { REGIMES, type Regime } from "./deadlines";

/** How each request type reads for staff (labels) and in a sentence to the customer. */
export const REQUEST_TYPE_LABELS: Record<PrivacyRequestType, string> = {
  access: "Access: a copy of their data",
  portability: "Portability: their data to take elsewhere",
  rectification: "Rectification: correct their data",
  erasure: "Erasure: delete their data",
  restriction: "Restriction: stop using their data",
  objection: "Objection to direct marketing",
  opt_out_sale_share: "Opt-out of sale or sharing",
};

/** How each request type is said to the customer ("your … "), in messages and in what the agent reads back. */
export const TYPE_WORDS: Record<PrivacyRequestType, string> = {
  access: "request for a copy of your personal data",
  portability: "request for your data in a portable format",
  rectification: "request to correct your personal data",
  erasure: "request to delete your personal data",
  restriction: "request to restrict the use of your personal data",
  objection: "objection to direct marketing",
  opt_out_sale_share: "request to opt out of the sale or sharing of your personal information",
};

/** Where a customer may complain about how a request was handled (B5), by the rule applied. */
export const COMPLAINT_ROUTE: Record<Regime, string> = {
  uk_gdpr: "the Information Commissioner's Office (ico.org.uk, 0303 123 1113)",
  gdpr: "the data protection supervisory authority of the EU country where you live or work",
  ccpa: "the California Privacy Protection Agency (cppa.ca.gov) or the California Attorney General",
  hipaa: "the US Department of Health and Human Services, Office for Civil Rights (hhs.gov/ocr)",
};

/**
 * A date in words on the calendar of the regime whose deadline it is: a CCPA deadline ends at
 * midnight in Los Angeles, 07:00 or 08:00 UTC the next day. Staff screens use it too.
 */
export const dayWords = (at: Date, regime?: string, weekday = false) =>
  at.toLocaleDateString("en-GB", {
    ...(weekday ? { weekday: "long" as const } : {}),
    day: "numeric",
    month: "long",
    year: "numeric",
    timeZone: regime && regime in REGIMES ? REGIMES[regime as Regime].timeZone : "UTC",
  });
const day = (at: Date, regime?: Regime) => dayWords(at, regime);

/**
 * Text a supervisor typed, ready to be followed by another sentence: trimmed, and ended with a full
 * stop when it has no closing punctuation ("The reason: many records. We will respond by…").
 */
export function sentence(typed: string): string {
  const text = typed.trim();
  return /[.!?…]["'”’)\]]*$/.test(text) ? text : `${text}.`;
}

/**
 * Confirms receipt (CCPA D1: within 10 business days, saying how we verify and when to expect an
 * answer), sent for every request so that the customer holds the date the clock started.
 */
export function requestAcknowledgement(tenant: string, type: PrivacyRequestType, receivedAt: Date, dueAt: Date, identityPending: boolean, regime?: Regime) {
  const verification = identityPending
    ? "Before we act on it we need to confirm it is you: we will only ask for information we already hold about you, and never for a copy of an identity document unless we have a specific reason to doubt it is you."
    : "You confirmed your identity on the call, so we need nothing more from you.";
  return {
    subject: `We have received your ${TYPE_WORDS[type]}`,
    body: `${tenant}: we received your ${TYPE_WORDS[type]} on ${day(receivedAt, regime)}. ${verification} We will respond by ${day(dueAt, regime)}. It is free of charge. If you did not make this request, call us on the number on our website.`,
  };
}

/**
 * RULES.md B3: the identity information arrived after receipt, so the month runs from that day and
 * the date given in the first acknowledgement no longer holds: the customer gets the new one.
 */
export function identityConfirmedNotice(tenant: string, type: PrivacyRequestType, clockStartedAt: Date, dueAt: Date, regime?: Regime) {
  return {
    subject: `We have confirmed it is you: your ${TYPE_WORDS[type]}`,
    body: `${tenant}: thank you, we have confirmed your identity for your ${TYPE_WORDS[type]}. The time we have to respond runs from ${day(clockStartedAt, regime)}, when we received the information confirming it was you, so we will respond by ${day(dueAt, regime)}. It is free of charge.`,
  };
}

/**
 * What the agent reads to the caller once a request is logged: by phone this is the confirmation of
 * receipt (D1). A written confirmation is promised only when there is an email or phone to send it to.
 */
export function readBackScript(request: { type: PrivacyRequestType; status: string; dueAt: Date; regime: string }, writtenConfirmation: boolean): string {
  const what = TYPE_WORDS[request.type];
  const due = dayWords(request.dueAt, request.regime, true);
  if (request.status === "completed") return `“I've recorded your ${what} and it applies from now.${writtenConfirmation ? " You'll get a confirmation by message." : ""}”`;
  if (request.status === "identity_pending")
    return `“I've logged your ${what} today. Before we act on it we need to confirm it's you; we'll only use information we already hold. We will respond by ${due}, free of charge.${writtenConfirmation ? " You'll get a confirmation by message." : ""}”`;
  return `“I've logged your ${what} today. We will respond by ${due}, free of charge${writtenConfirmation ? ", and you'll get a confirmation by message" : ""}.”`;
}

/** B2 / D2: an extension is told to the customer, with its reason, before the first deadline. */
export function extensionNotice(tenant: string, type: PrivacyRequestType, reason: string, newDueAt: Date, regime?: Regime) {
  return {
    subject: `We need more time for your ${TYPE_WORDS[type]}`,
    body: `${tenant}: we need more time to complete your ${TYPE_WORDS[type]}. The reason: ${sentence(reason)} We will respond by ${day(newDueAt, regime)}.`,
  };
}

/**
 * B5: the reasons, the right to complain to the supervisory authority, and to a judicial remedy. A
 * refused restriction request ends the restriction placed while it was considered, which the
 * customer is told here, before it ends (B10).
 */
export function rejectionResponse(tenant: string, type: PrivacyRequestType, ground: "manifestly_unfounded" | "excessive", reason: string, regime: Regime, { restrictionLifted = false } = {}) {
  const groundWords = ground === "manifestly_unfounded" ? "manifestly unfounded" : "excessive";
  return {
    subject: `Your ${TYPE_WORDS[type]}`,
    body:
      `${tenant}: we will not act on your ${TYPE_WORDS[type]}, because we consider it ${groundWords}. Our reasons: ${sentence(reason)}\n` +
      (restrictionLifted ? `The restriction we placed on the use of your personal data while we considered your request is therefore lifted.\n` : "") +
      `If you disagree, you have the right to complain to ${COMPLAINT_ROUTE[regime]}, and the right to seek a judicial remedy through the courts. ` +
      `You can also call us on the number on our website to discuss it.`,
  };
}

/** The access package is ready: a link valid until `expiresAt` (sealed in the outbox, since it opens the customer's data). */
export function accessPackageReady(tenant: string, url: string, expiresAt: Date) {
  return {
    subject: `Your ${tenant} data is ready to download`,
    body: `${tenant}: the copy of your personal data you asked for is ready. Download it here before ${day(expiresAt)}: ${url}\nThe file is a zip of JSON and CSV files. If you did not ask for this, do not open the link and call us on the number on our website.`,
  };
}

/** B9(e): what was erased, and what was kept, why and until when. */
export function erasureCompleted(tenant: string, kept: { what: string; basis: string; deleteAfter: string | null }[]) {
  const keptLines = kept.map((k) => `- ${k.what}: ${k.basis}${k.deleteAfter ? ` (deleted after ${day(new Date(k.deleteAfter))})` : ""}`);
  return {
    subject: `Your ${tenant} personal data has been deleted`,
    body:
      `${tenant}: as you asked, we have deleted your personal data. We have kept only what the law requires, restricted to that purpose:\n${keptLines.join("\n")}\n` +
      `We also keep a scrambled (hashed) copy of your email address and phone number so that we never contact you for marketing or add you again by mistake.`,
  };
}

/** A request carried out (rectification, restriction, objection, opt-out). */
export function requestCompleted(tenant: string, type: PrivacyRequestType, resolution: string) {
  return {
    subject: `Your ${TYPE_WORDS[type]} is complete`,
    body: `${tenant}: we have completed your ${TYPE_WORDS[type]}. ${sentence(resolution)}`,
  };
}

/** B10: the customer is told before a restriction is lifted. */
export function restrictionLiftedNotice(tenant: string, reason: string) {
  return {
    subject: `We are lifting the restriction on your ${tenant} data`,
    body: `${tenant}: the restriction on the use of your personal data is being lifted. The reason: ${sentence(reason)} If you disagree, call us on the number on our website.`,
  };
}
