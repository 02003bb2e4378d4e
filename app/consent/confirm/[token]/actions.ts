"use server";

import { confirmConsent } from "@/lib/consent/confirmation";
import { CONSENT_CHANNEL_WORDS } from "@/lib/notifications/messages";
import { linkProblem, linkToken, withinLinkLimits, type LinkActionState } from "../../link-action";

export async function confirmConsentAction(_previous: LinkActionState, form: FormData): Promise<LinkActionState> {
  try {
    const result = await withinLinkLimits((db, meta) => confirmConsent(db, linkToken(form), meta));
    const what = `${result.purposeName} by ${CONSENT_CHANNEL_WORDS[result.channel]}`;
    return result.status === "confirmed"
      ? { ok: true, message: `Thank you: your consent to ${what} with ${result.tenantName} is confirmed. You can withdraw it at any time.` }
      : { ok: true, message: `You had already confirmed ${what} with ${result.tenantName}. Nothing more to do.` };
  } catch (error) {
    return { ok: false, error: linkProblem(error) };
  }
}
