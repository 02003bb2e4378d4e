import { z } from "zod";
import { consentChannel } from "@/db/schema";
import { apiRoute } from "@/lib/api/handler";
import { checkConsent } from "@/lib/consent/check";
import { ValidationError, fieldErrorsFromZod } from "@/lib/errors";

const checkQuery = z.object({
  customer: z.string().trim().min(1, "is required"),
  purpose: z.string().trim().min(1, "is required"),
  channel: z.enum(consentChannel.enumValues, "must be one of email, sms, phone, post, in_app"),
  at: z.iso.datetime({ offset: true, error: "must be an ISO 8601 time with offset" }).optional(),
});

export const GET = apiRoute({ scope: "consent:read" }, async ({ db, actor, request }) => {
  const parsed = checkQuery.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!parsed.success) throw new ValidationError(fieldErrorsFromZod(parsed.error.issues));
  const { at, ...query } = parsed.data;
  return { status: 200, body: await checkConsent(db, actor.tenantId, { ...query, at: at ? new Date(at) : undefined }) };
});
