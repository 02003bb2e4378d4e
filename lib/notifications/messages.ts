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
