"use server";

import { reportDispute } from "@/lib/consent/disputes";
import { linkProblem, linkToken, withinLinkLimits, type LinkActionState } from "../../link-action";

export async function reportDisputeAction(_previous: LinkActionState, form: FormData): Promise<LinkActionState> {
  try {
    const result = await withinLinkLimits((db, meta) => reportDispute(db, linkToken(form), meta));
    return result.status === "reported"
      ? {
          ok: true,
          message: `Thank you for telling us. ${result.invalidated > 0 ? "The choices recorded in that call no longer count, and" : "Nothing recorded in that call still counts, and"} a supervisor at ${result.tenantName} will review what happened.`,
        }
      : { ok: true, message: `You have already reported this call. A supervisor at ${result.tenantName} is reviewing it.` };
  } catch (error) {
    return { ok: false, error: linkProblem(error) };
  }
}
