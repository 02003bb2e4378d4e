import type { VerificationFactorKind, VerificationLevel } from "@/db/schema";

/** RULES.md G2: a one-time code has 6 digits, lives 10 minutes, is used once, and allows 3 tries. */
export const CODE_TTL_MS = 10 * 60 * 1000;
export const CODE_MAX_TRIES = 3;
/**
 * Three failed factors within 24 hours, across calls and agents, lock verification for the customer
 * and alert supervisors: the lock lifts when a supervisor closes the alert, or 24 hours after it.
 */
export const MAX_FAILED_FACTORS = 3;
export const LOCK_WINDOW_MS = 24 * 60 * 60 * 1000;
/** One-time codes: at most 3 in a call and 5 to a customer in an hour (each is a message sent to them). */
export const MAX_CODES_PER_CALL = 3;
export const MAX_CODES_PER_CUSTOMER = 5;
export const CODE_WINDOW_MS = 60 * 60 * 1000;
/** A level holds for 30 minutes from when it was reached, and only inside its call. */
export const VERIFICATION_TTL_MS = 30 * 60 * 1000;

export const POSSESSION_FACTORS: readonly VerificationFactorKind[] = ["otp_sms", "otp_email"];
/**
 * What the caller can be asked. Never something the agent sees on the page before strong verification:
 * the account reference (`account_last4`, retired) is shown to every agent; a payment method's last 4
 * digits are shown only once the caller is strongly verified.
 */
export const KNOWLEDGE_FACTORS = ["date_of_birth", "postcode", "payment_last4", "security_question"] as const;
export type KnowledgeFactor = (typeof KNOWLEDGE_FACTORS)[number];

export const FACTOR_LABELS: Record<VerificationFactorKind, string> = {
  otp_sms: "Code by SMS",
  otp_email: "Code by email",
  date_of_birth: "Date of birth",
  postcode: "Postcode",
  account_last4: "Last 4 of account reference (retired)",
  payment_last4: "Last 4 of a payment method on file",
  security_question: "Security question",
};

/**
 * What each action asks of the caller's verification. Seeing unmasked data or preferences needs one
 * factor; anything that could hand over the account (contact points, address, security settings,
 * payment details, privacy requests) needs a code plus a knowledge check (RULES.md G3, G4).
 */
export const REQUIRED_LEVEL = {
  reveal_personal_data: "basic",
  view_marketing_preferences: "basic",
  /** Who is agreeing must be known; refusing, withdrawing or objecting needs no check at all. */
  record_consent: "basic",
  change_name: "basic",
  change_date_of_birth: "basic",
  change_language: "basic",
  change_status: "basic",
  change_email: "strong",
  change_phone: "strong",
  change_address: "strong",
  change_security_settings: "strong",
  change_payment_details: "strong",
  /** A plan change, pause or cancellation alters what the customer pays. */
  change_subscription: "strong",
  change_marketing_preferences: "basic",
  privacy_request: "strong",
} as const satisfies Record<string, Exclude<VerificationLevel, "none">>;

export type VerifiedAction = keyof typeof REQUIRED_LEVEL;

/**
 * While processing is restricted (GDPR Art. 18, RULES.md B10) the data is only stored: no change but
 * the accuracy fix (the profile's own fields), recording the customer's own consent, and their rights.
 */
export const BLOCKED_WHILE_RESTRICTED: readonly VerifiedAction[] = ["change_status", "change_payment_details", "change_subscription", "change_marketing_preferences"];

const RANK: Record<VerificationLevel, number> = { none: 0, basic: 1, strong: 2 };
export const meets = (have: VerificationLevel, need: VerificationLevel) => RANK[have] >= RANK[need];
export const higher = (a: VerificationLevel, b: VerificationLevel) => (RANK[a] >= RANK[b] ? a : b);

/**
 * The level the matched factors reach: one factor is basic; strong is a code plus a knowledge check,
 * or two different knowledge checks where the tenant's policy allows it.
 */
export function levelFrom(matched: readonly VerificationFactorKind[], knowledgeOnlyStrong: boolean): VerificationLevel {
  const possession = matched.some((k) => POSSESSION_FACTORS.includes(k));
  // A retired factor (account_last4) matched before it was retired counts for nothing.
  const knowledge = new Set(matched.filter((k) => (KNOWLEDGE_FACTORS as readonly string[]).includes(k))).size;
  if ((possession && knowledge >= 1) || (knowledgeOnlyStrong && knowledge >= 2)) return "strong";
  return possession || knowledge >= 1 ? "basic" : "none";
}

/**
 * From when a level counts, for its 30 minutes: the moment the freshest factors that reach it were
 * all in place. A code from 29 minutes ago plus a check now makes strong for one more minute only.
 */
export function levelSince(matched: readonly { kind: VerificationFactorKind; at: Date }[], level: VerificationLevel, knowledgeOnlyStrong: boolean): Date | null {
  const times = (kinds: (k: VerificationFactorKind) => boolean) => matched.filter((m) => kinds(m.kind)).map((m) => m.at.getTime());
  const latestPossession = Math.max(...times((k) => POSSESSION_FACTORS.includes(k)));
  const latestPerKnowledge = KNOWLEDGE_FACTORS.map((k) => Math.max(...times((kind) => kind === k))).filter(Number.isFinite).sort((a, b) => b - a);
  let since = -Infinity;
  if (level === "basic") since = Math.max(...matched.map((m) => m.at.getTime()));
  if (level === "strong") {
    if (Number.isFinite(latestPossession) && latestPerKnowledge[0] !== undefined) since = Math.min(latestPossession, latestPerKnowledge[0]);
    if (knowledgeOnlyStrong && latestPerKnowledge[1] !== undefined) since = Math.max(since, latestPerKnowledge[1]);
  }
  return Number.isFinite(since) ? new Date(since) : null;
}
