/**
 * The words of what we send customers. Plain text, short enough for SMS where they go by SMS, and
 * never a one-time code or link except in the messages marked sensitive by their sender.
 */
const KIND_WORDS = { email: "email address", phone: "phone number" } as const;

function when(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** To the old contact point: the independent channel that lets the real customer spot a takeover (G5). */
export function contactPointChangedNotice(tenant: string, kind: "email" | "phone", newMasked: string, at: Date) {
  return {
    subject: `Your ${tenant} ${KIND_WORDS[kind]} was changed`,
    body: `${tenant}: the ${KIND_WORDS[kind]} on your account was changed to ${newMasked} on ${when(at)} during a phone call with our team. If this wasn't you, call us now on the number on our website: we will undo the change and secure your account.`,
  };
}

export function contactPointConfirmation(tenant: string, kind: "email" | "phone", at: Date) {
  return {
    subject: `Your new ${KIND_WORDS[kind]} is confirmed`,
    body: `${tenant}: this ${KIND_WORDS[kind]} was added to your account on ${when(at)}. If you did not ask for this, call us on the number on our website.`,
  };
}

export function securityChangeNotice(tenant: string, what: string, at: Date) {
  return {
    subject: `Security settings changed on your ${tenant} account`,
    body: `${tenant}: ${what} on ${when(at)} during a phone call with our team. If this wasn't you, call us now on the number on our website.`,
  };
}

export function callConfirmation(tenant: string, changes: string[], at: Date) {
  return {
    subject: `Summary of your call with ${tenant}`,
    body: `${tenant}: thank you for your call on ${when(at)}. We made these changes:\n${changes.map((c) => `- ${c}`).join("\n")}\nIf anything here is wrong, call us on the number on our website.`,
  };
}

/** How a consent channel reads in a sentence ("Marketing by SMS"). */
export const CONSENT_CHANNEL_WORDS = { email: "email", sms: "SMS", phone: "phone", post: "post", in_app: "in-app message" } as const;

type ConsentWordsAction = "grant" | "renew" | "confirm" | "refuse" | "withdraw" | "object" | "request_confirmation" | "invalidate" | "expire";

/** One consent decision in plain words, as the customer made it ("You agreed to Marketing by SMS"). */
export function consentDecisionWords(action: ConsentWordsAction, purposeName: string, channel: keyof typeof CONSENT_CHANNEL_WORDS): string {
  const what = `${purposeName} by ${CONSENT_CHANNEL_WORDS[channel]}`;
  switch (action) {
    case "grant":
    case "renew":
    case "confirm":
      return `You agreed to ${what}`;
    case "refuse":
      return `You refused ${what}`;
    case "withdraw":
      return `You withdrew your consent to ${what}`;
    case "object":
      return "You objected to all marketing";
    case "request_confirmation":
      return `Awaiting your confirmation: ${what}`;
    case "invalidate":
      return `Cancelled as not yours: ${what}`;
    case "expire":
      return `Your consent to ${what} expired`;
  }
}

/** The double opt-in or explicit-consent link (sensitive: it carries a signed token). */
export function consentConfirmationRequest(tenant: string, what: string, url: string, explicit: boolean) {
  return {
    subject: `Please confirm: ${what} with ${tenant}`,
    body: `${tenant}: ${explicit ? "you gave your explicit consent to" : "you asked to receive"} ${what}. It only counts once you confirm it here (link valid 7 days): ${url}\nIf this wasn't you, ignore this message and nothing changes.`,
  };
}

/** The consent receipt after a call (RULES.md A7): each decision with its time, and "this wasn't me". */
export function consentReceipt(tenant: string, decisions: { at: Date; words: string }[], disputeUrl: string, callAt: Date) {
  return {
    subject: `Your consent choices with ${tenant}`,
    body: `${tenant}: during your call on ${when(callAt)} we recorded these choices:\n${decisions.map((d) => `- ${when(d.at)}: ${d.words}`).join("\n")}\nYou can change your mind at any time. If this wasn't you, tell us here (link valid 30 days): ${disputeUrl}`,
  };
}

/** After a preferences change on a call: what the customer chose, and that it signs them up to nothing. */
export function preferencesConfirmation(tenant: string, topicNames: string[], frequencyWords: string | null, at: Date) {
  const chosen = topicNames.length ? `${topicNames.join(", ")}${frequencyWords ? `, ${frequencyWords}` : ""}` : "no marketing topics";
  return {
    subject: `Your marketing preferences with ${tenant}`,
    body: `${tenant}: your marketing preferences were updated on ${when(at)} during a phone call with our team: ${chosen}. They only choose what we send where you have agreed to hear from us. If this wasn't you, call us on the number on our website.`,
  };
}

/**
 * A payment-method change, sent to the contact point on file (never one given on the call): it is
 * both the confirmation and the independent notice that lets the real customer spot a takeover (G5).
 * `what` names the method masked only ("a Visa card ending 1111 was added").
 */
export function paymentMethodChangedNotice(tenant: string, what: string, at: Date) {
  return {
    subject: `Payment details changed on your ${tenant} account`,
    body: `${tenant}: ${what} on ${when(at)} during a phone call with our team. If this wasn't you, call us now on the number on our website: we will undo the change and secure your account.`,
  };
}

/** A subscription change confirmed to the customer: what changed, from when, and the price difference. */
export function subscriptionChangeConfirmation(tenant: string, change: { what: string; from: string; price: string }, at: Date) {
  return {
    subject: `Your ${tenant} subscription has changed`,
    body: `${tenant}: during your call on ${when(at)} we made this change to your subscription: ${change.what}, ${change.from}. Price: ${change.price}.\nIf this wasn't you, call us now on the number on our website.`,
  };
}
