/**
 * What an erasure keeps, why, and until when (RULES.md B9(b), D9, I5): the retention rules as data,
 * one row per record category and rule pack, each with the law it rests on. Pure: no clock, no
 * database; the caller passes the dates the periods run from.
 *
 * The periods are minimums set by different regimes; the GDPR storage-limitation principle pushes the
 * other way (RULES.md caveats), so each is the shortest defensible period for its purpose, and when a
 * tenant enables several rule packs the longest of their periods wins (each regime's minimum is met).
 * They are defaults a tenant's retention policy may lengthen; none is shorter than its law requires.
 */
import type { RulePack } from "@/lib/tenants/rule-packs";

export type RetentionCategory = "billing_records" | "privacy_requests" | "consent_ledger" | "call_recordings" | "audit_trail" | "suppression_list" | "customer_reference";

/**
 * What a period runs from: the end of the financial year in which the last charge or credit fell
 * (accounting and tax law counts so), or the erasure itself (the request closes, processing ends).
 */
export type RetentionStart = "financial_year_end" | "erasure";

export type RetentionRule = {
  category: RetentionCategory;
  /** The rule pack that sets this period; `default` when the tenant enables none of the others. */
  rulePack: RulePack | "default";
  /** Null: kept for as long as its purpose lasts, with no date set in advance. */
  period: { years?: number; months?: number; from: RetentionStart } | null;
  /** The legal basis, in words a customer can read. */
  basis: string;
};

/** What each category holds, in words for the supervisor's confirmation and the customer's notice. */
export const RETENTION_WHAT: Record<RetentionCategory, string> = {
  billing_records: "Billing records: the subscription and its history of changes and charges, and the payment methods masked (brand, last 4 digits and expiry only; no card or account number)",
  privacy_requests: "The record of the privacy requests and how they were answered (dates, type and outcome; without the words said)",
  consent_ledger: "The record of consent choices, withdrawals and objections (no name, email or phone: contact points only as scrambled references)",
  call_recordings:
    "The references of the call recordings (not the recordings: the brand's call recorder holds them, and the brand is told of the erasure so that it erases them or keeps them under its own retention policy)",
  audit_trail: "The audit trail of what was done on the account and by whom (personal details masked)",
  suppression_list: "A scrambled (hashed) form of each email address and phone number",
  customer_reference: "The customer reference (account number) the brand's systems know the customer by",
};

/**
 * The financial year whose end a billing period runs from, by rule pack: a default, since a company
 * chooses its own accounting reference date. UK: 31 March, the most common accounting year end and
 * the one closest to the tax year; US and EU: the calendar year, which most businesses report on.
 */
export const FINANCIAL_YEAR_END: Partial<Record<RulePack | "default", { month: number; day: number }>> = {
  uk_gdpr: { month: 3, day: 31 },
  pecr: { month: 3, day: 31 },
  default: { month: 12, day: 31 },
};

export const RETENTION_RULES: readonly RetentionRule[] = [
  // Billing: statutory accounting and tax records (GDPR Art. 17(3)(b): a legal obligation; CCPA §1798.105(d)(8)).
  {
    category: "billing_records",
    rulePack: "uk_gdpr",
    period: { years: 6, from: "financial_year_end" },
    basis: "statutory accounting and tax records: Companies Act 2006 s.388 and HMRC record keeping (VAT and corporation tax records are kept 6 years)",
  },
  {
    category: "billing_records",
    rulePack: "gdpr",
    period: { years: 10, from: "financial_year_end" },
    basis: "statutory accounting and tax records under the Member State's law (up to 10 years, e.g. Germany §147 AO and §257 HGB)",
  },
  {
    category: "billing_records",
    rulePack: "ccpa",
    period: { years: 7, from: "financial_year_end" },
    basis: "statutory accounting and tax records: IRS record keeping (26 U.S.C. §6001; IRS Publication 583: up to 7 years)",
  },
  {
    category: "billing_records",
    rulePack: "default",
    period: { years: 6, from: "financial_year_end" },
    basis: "statutory accounting and tax records (6 years after the end of the financial year)",
  },
  // The requests themselves and their answers (B9(d), D9).
  {
    category: "privacy_requests",
    rulePack: "ccpa",
    period: { months: 24, from: "erasure" },
    basis: "records of consumer requests and how they were answered must be kept at least 24 months (11 CCR §7101)",
  },
  {
    category: "privacy_requests",
    rulePack: "uk_gdpr",
    period: { months: 24, from: "erasure" },
    basis: "accountability: proof that the request was received and carried out (UK GDPR Art. 5(2), Art. 17(3)(e))",
  },
  {
    category: "privacy_requests",
    rulePack: "gdpr",
    period: { months: 24, from: "erasure" },
    basis: "accountability: proof that the request was received and carried out (GDPR Art. 5(2), Art. 17(3)(e))",
  },
  {
    category: "privacy_requests",
    rulePack: "hipaa",
    period: { years: 6, from: "erasure" },
    basis: "documentation of requests and actions must be kept 6 years (45 CFR §164.530(j))",
  },
  {
    category: "privacy_requests",
    rulePack: "default",
    period: { months: 24, from: "erasure" },
    basis: "accountability: proof that the request was received and carried out",
  },
  // Proof of consent and of its withdrawal (I5): after processing ends, only for legal claims.
  {
    category: "consent_ledger",
    rulePack: "uk_gdpr",
    period: { years: 6, from: "erasure" },
    basis:
      "proof of consent and of its withdrawal or objection, kept only for the period in which a claim about it can be brought (UK GDPR Art. 7(1), 17(3)(e); Limitation Act 1980: 6 years)",
  },
  {
    category: "consent_ledger",
    rulePack: "gdpr",
    period: { years: 6, from: "erasure" },
    basis: "proof of consent and of its withdrawal or objection, kept only for the period in which a claim about it can be brought (GDPR Art. 7(1), 17(3)(e))",
  },
  {
    category: "consent_ledger",
    rulePack: "tcpa",
    period: { years: 5, from: "erasure" },
    basis: "do-not-call and revocation records are kept 5 years (47 CFR §64.1200(d)(6)), beyond the 4-year limitation period for TCPA claims",
  },
  {
    category: "consent_ledger",
    rulePack: "ccpa",
    period: { months: 24, from: "erasure" },
    basis: "opt-outs of sale or sharing are consumer requests, kept at least 24 months (11 CCR §7101)",
  },
  {
    category: "consent_ledger",
    rulePack: "hipaa",
    period: { years: 6, from: "erasure" },
    basis: "authorisations and their revocations are kept 6 years (45 CFR §164.508(b)(6), §164.530(j))",
  },
  {
    category: "consent_ledger",
    rulePack: "default",
    period: { years: 6, from: "erasure" },
    basis: "proof of consent and of its withdrawal or objection, kept only for the period in which a claim about it can be brought",
  },
  // The suppression list has no end date: it is what keeps the erasure and any objection honoured.
  {
    category: "suppression_list",
    rulePack: "default",
    period: null,
    basis: "so that you are never sent marketing or added to our records again by mistake (GDPR Art. 17(3)(b), Art. 21(3); a suppression list holds no readable contact details)",
  },
  // Kept only where the brand's account reference is itself an email address or phone number.
  {
    category: "customer_reference",
    rulePack: "default",
    period: null,
    basis: "the brand's systems identify the customer by it to erase their own copies; the brand uses a contact detail as its reference and should change it in its systems",
  },
];

export type RetentionDecision = { category: RetentionCategory; what: string; basis: string; deleteAfter: Date | null };

function addPeriod(from: Date, period: { years?: number; months?: number }): Date {
  const at = new Date(from);
  at.setUTCMonth(at.getUTCMonth() + (period.years ?? 0) * 12 + (period.months ?? 0));
  return at;
}

/** The last moment of the financial year (by its end month and day) that contains `at`, UTC. */
export function endOfFinancialYear(at: Date, end: { month: number; day: number }): Date {
  const year = at.getUTCFullYear();
  const thisYearsEnd = new Date(Date.UTC(year, end.month - 1, end.day, 23, 59, 59, 999));
  return at.getTime() <= thisYearsEnd.getTime() ? thisYearsEnd : new Date(Date.UTC(year + 1, end.month - 1, end.day, 23, 59, 59, 999));
}

/**
 * How long one category is kept for a tenant with these rule packs: the rules of its packs for that
 * category (the default rule when none of its packs has one), and of those the one that keeps longest.
 * `lastChargeAt` is the last billing event (a charge, a credit, a renewal); `erasedAt` the erasure.
 */
export function retentionFor(category: RetentionCategory, rulePacks: readonly string[], dates: { erasedAt: Date; lastChargeAt?: Date | null }): RetentionDecision {
  const ofCategory = RETENTION_RULES.filter((r) => r.category === category);
  const applicable = ofCategory.filter((r) => r.rulePack !== "default" && rulePacks.includes(r.rulePack));
  const rules = applicable.length ? applicable : ofCategory.filter((r) => r.rulePack === "default");
  if (rules.length === 0) throw new Error(`no retention rule for ${category}`);
  // No date (kept while its purpose lasts) is the longest of all.
  const best = rules
    .map((rule) => ({ rule, deleteAfter: rule.period ? addPeriod(startOf(rule, rulePacks, dates), rule.period) : null }))
    .reduce((a, b) => (a.deleteAfter === null ? a : b.deleteAfter === null || b.deleteAfter.getTime() > a.deleteAfter.getTime() ? b : a));
  return { category, what: RETENTION_WHAT[category], basis: best.rule.basis, deleteAfter: best.deleteAfter };
}

function startOf(rule: RetentionRule, rulePacks: readonly string[], dates: { erasedAt: Date; lastChargeAt?: Date | null }): Date {
  if (rule.period?.from !== "financial_year_end") return dates.erasedAt;
  const pack = rule.rulePack === "default" ? rulePacks.find((p) => FINANCIAL_YEAR_END[p as RulePack]) : rule.rulePack;
  const yearEnd = FINANCIAL_YEAR_END[(pack ?? "default") as RulePack] ?? FINANCIAL_YEAR_END.default!;
  return endOfFinancialYear(dates.lastChargeAt ?? dates.erasedAt, yearEnd);
}

/**
 * The audit trail accounts for how the kept records were handled, so it is kept as long as the
 * longest of them, and goes with them (it is append-only: its purge drops whole time partitions).
 */
export function auditTrailRetention(kept: readonly RetentionDecision[]): RetentionDecision {
  const dates = kept.map((k) => k.deleteAfter).filter((d): d is Date => d !== null);
  const latest = dates.length ? new Date(Math.max(...dates.map((d) => d.getTime()))) : null;
  return {
    category: "audit_trail",
    what: RETENTION_WHAT.audit_trail,
    basis: "accountability: the record of what was done with the kept records and by whom, kept as long as they are (GDPR Art. 5(2); PCI DSS 10.5.1 for payment events)",
    deleteAfter: latest,
  };
}

/**
 * The calls' recordings are not held here but in the brand's call recorder; what is kept is each
 * call's reference to its recording, which is the evidence behind what was agreed on the call (a
 * consent given verbally, RULES.md A7, I5). So the references are kept as long as the consent record,
 * by the same rules, and the brand (told by `customer.erased`, which lists them) erases the recordings
 * or keeps them under its own policy.
 */
export function callRecordingRetention(rulePacks: readonly string[], dates: { erasedAt: Date }): RetentionDecision {
  return {
    category: "call_recordings",
    what: RETENTION_WHAT.call_recordings,
    basis: "evidence of what was said and agreed on the calls, consents included, kept as long as the record of consent choices (GDPR Art. 7(1), 17(3)(e)); the recordings themselves are the brand's to erase or keep",
    deleteAfter: retentionFor("consent_ledger", rulePacks, dates).deleteAfter,
  };
}
