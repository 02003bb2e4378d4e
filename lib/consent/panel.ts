import { and, desc, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { consentState, notices, purposes, type ConsentChannel, type Customer } from "@/db/schema";
import { assertTenantAccess, type Actor } from "@/lib/actor";
import { decideConsent, type CheckReason } from "./check";

/** Under CCPA, a business waits 12 months after an opt-out before asking again (RULES.md D6). */
const ASK_AGAIN_AFTER_OPT_OUT_MS = 365 * 86_400_000;
const SALE_OR_SHARE = "sale_or_share";

export type PanelCell = {
  channel: ConsentChannel;
  reason: CheckReason;
  allowed: boolean;
  since: string | null;
  validUntil: string | null;
  reviewDue: boolean;
  /** What the agent should do about it, in a few words; null when there is nothing to say. */
  prompt: string | null;
  /** May the agent offer this consent on the call? False when the customer said no and must not be pressed. */
  mayAsk: boolean;
};

export type PanelScript = { id: string; version: number; language: string; text: string; hash: string; inCustomerLanguage: boolean };

export type PanelPurpose = {
  key: string;
  name: string;
  category: string;
  specialCategory: boolean;
  cells: PanelCell[];
  script: PanelScript | null;
};

export type ConsentPanel = { purposes: PanelPurpose[]; customerLanguage: string | null };

const PROMPTS: Partial<Record<CheckReason, string>> = {
  refused: "Refused: do not offer",
  objected: "Objected to marketing: do not offer",
  withdrawn: "Withdrawn: do not offer unless the customer asks",
  invalidated: "Disputed by the customer: ask again only if they raise it",
  pending_confirmation: "Waiting for the customer to confirm by link",
  expired: "Expired: you may ask again",
  contact_point_changed: "Given for a previous number or address: ask again",
  restricted: "Processing restricted: record refusals only",
};
const DO_NOT_ASK: ReadonlySet<CheckReason> = new Set(["refused", "objected", "withdrawn", "invalidated", "restricted", "erased"]);

/** The script to read: in the customer's language if published in it, else in the primary language, else English. */
function scriptFor(scripts: { id: string; version: number; language: string; text: string; hash: string; purposeKeys: string[] }[], purposeKey: string, language: string | null): PanelScript | null {
  const covering = scripts.filter((s) => s.purposeKeys.includes(purposeKey));
  const wanted = [language, language?.split("-")[0], "en"].filter((l): l is string => Boolean(l));
  for (const lang of wanted) {
    const match = covering.find((s) => s.language.toLowerCase() === lang.toLowerCase());
    if (match) return { ...match, inCustomerLanguage: lang !== "en" || (language ?? "en").startsWith("en") };
  }
  const any = covering[0];
  return any ? { ...any, inCustomerLanguage: false } : null;
}

/**
 * The consent grid of the customer page: every purpose × channel with its state now (the same
 * decision as the consent-check API), since when, until when, and what the agent should do.
 */
export async function consentPanel(db: Db, actor: Actor, customer: Customer, now = new Date()): Promise<ConsentPanel> {
  assertTenantAccess(actor, customer.tenantId);
  const [list, states, scripts] = await Promise.all([
    db.select().from(purposes).where(eq(purposes.tenantId, customer.tenantId)).orderBy(purposes.key),
    db.select().from(consentState).where(and(eq(consentState.tenantId, customer.tenantId), eq(consentState.customerId, customer.id))),
    db
      .select({ id: notices.id, version: notices.version, language: notices.language, text: notices.text, hash: notices.hash, purposeKeys: notices.purposeKeys })
      .from(notices)
      .where(and(eq(notices.tenantId, customer.tenantId), eq(notices.kind, "script")))
      .orderBy(desc(notices.version)),
  ]);
  return {
    customerLanguage: customer.language,
    purposes: list.map((purpose) => ({
      key: purpose.key,
      name: purpose.name,
      category: purpose.category,
      specialCategory: purpose.specialCategory,
      script: scriptFor(scripts, purpose.key, customer.language),
      cells: purpose.channels.map((channel) => {
        const latest = states.find((s) => s.purposeId === purpose.id && s.channel === channel) ?? null;
        const answer = decideConsent({ customer, purpose, at: now, channel, latest, tenantId: customer.tenantId });
        const optedOutRecently = purpose.category === SALE_OR_SHARE && !answer.allowed && answer.since !== null && now.getTime() - Date.parse(answer.since) < ASK_AGAIN_AFTER_OPT_OUT_MS;
        const prompt = answer.reviewDue
          ? "Review due: read the script again and ask"
          : optedOutRecently && DO_NOT_ASK.has(answer.reason)
            ? `Opted out: do not ask before ${new Date(Date.parse(answer.since!) + ASK_AGAIN_AFTER_OPT_OUT_MS).toISOString().slice(0, 10)}`
            : (PROMPTS[answer.reason] ?? null);
        return { channel, reason: answer.reason, allowed: answer.allowed, since: answer.since, validUntil: answer.validUntil, reviewDue: answer.reviewDue, prompt, mayAsk: !DO_NOT_ASK.has(answer.reason) };
      }),
    })),
  };
}
