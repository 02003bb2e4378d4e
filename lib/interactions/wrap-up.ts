import { and, asc, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { auditEvents, purposes, type Interaction } from "@/db/schema";
import { callConfirmation, consentDecisionWords } from "@/lib/notifications/messages";
import { enqueueMessage } from "@/lib/notifications/outbox";
import { customerContact } from "@/lib/notifications/recipients";
import { PAYMENT_CHANGE_WORDS } from "@/lib/payments/words";
import { SUBSCRIPTION_CHANGE_WORDS } from "@/lib/subscriptions/words";

const FIELD_WORDS: Record<string, string> = {
  name: "name",
  email: "email address",
  phone: "phone number",
  address: "postal address",
  dateOfBirth: "date of birth",
  language: "preferred language",
};

/** A consent change as the customer reads it; `purposeName` turns the purpose key into its name. */
const consentWords =
  (action: Parameters<typeof consentDecisionWords>[0]) =>
  (after: Record<string, unknown> | null, purposeName: (key: unknown) => string) =>
    consentDecisionWords(action, purposeName(after?.purpose), (after?.channel ?? "email") as Parameters<typeof consentDecisionWords>[2]);

/** How each change made during a call reads in the wrap-up and in the customer's confirmation. */
const CHANGE_WORDS: Record<string, (after: Record<string, unknown> | null, purposeName: (key: unknown) => string) => string> = {
  "consent.grant": consentWords("grant"),
  "consent.refuse": consentWords("refuse"),
  "consent.withdraw": consentWords("withdraw"),
  "consent.object": consentWords("object"),
  "consent.request_confirmation": consentWords("request_confirmation"),
  "customer.profile_updated": (after) => `Updated your ${Object.keys(after ?? {}).map((f) => FIELD_WORDS[f] ?? f).join(", ")}`,
  "customer.inactivated": () => "Marked your account inactive",
  "customer.reactivated": () => "Reactivated your account",
  "customer.password_reset_sent": () => "Sent you a password-reset link",
  "customer.mfa_reset": () => "Reset your two-step verification",
  "customer.security_question_set": () => "Changed your security question",
  ...PAYMENT_CHANGE_WORDS,
  ...SUBSCRIPTION_CHANGE_WORDS,
  "preferences.updated": () => "Updated your marketing preferences (topics and how often)",
};

/** Everything changed for the customer during this call, in order, as the customer should read it. */
export async function changesDuringCall(tx: Db, call: Interaction): Promise<string[]> {
  const events = await tx
    .select({ action: auditEvents.action, after: auditEvents.after })
    .from(auditEvents)
    .where(and(eq(auditEvents.tenantId, call.tenantId), eq(auditEvents.interactionId, call.id), eq(auditEvents.outcome, "success")))
    .orderBy(asc(auditEvents.at));
  const names = events.some((e) => e.action.startsWith("consent."))
    ? new Map((await tx.select({ key: purposes.key, name: purposes.name }).from(purposes).where(eq(purposes.tenantId, call.tenantId))).map((p) => [p.key, p.name]))
    : new Map<string, string>();
  const purposeName = (key: unknown) => names.get(String(key)) ?? String(key);
  const words = events.filter((e) => CHANGE_WORDS[e.action]).map((e) => CHANGE_WORDS[e.action]!(e.after as Record<string, unknown> | null, purposeName));
  // One objection covers every marketing purpose and channel: said once, however many events it wrote.
  return words.filter((w, i) => !w.startsWith("You objected") || words.indexOf(w) === i);
}

/** Sends the customer the list of changes made in the call, to the email on file (or by SMS). */
export async function sendCallConfirmation(tx: Db, call: Interaction, changes: string[], now: Date): Promise<void> {
  if (changes.length === 0) return;
  const contact = await customerContact(tx, call.tenantId, call.customerId);
  if (!contact?.route) return;
  const message = callConfirmation(contact.tenantName, changes, now);
  await enqueueMessage(tx, { tenantId: call.tenantId, channel: contact.route.channel, template: "call.confirmation", recipient: contact.route.to, subject: message.subject, body: message.body, customerId: call.customerId, interactionId: call.id }, now);
}
