import { z } from "zod";
import { consentChannel } from "@/db/schema";
import { PayloadTooLargeError, apiRoute } from "@/lib/api/handler";
import { MAX_BATCH_CHECKS, checkConsent, checkConsents } from "@/lib/consent/check";
import { ValidationError, fieldErrorsFromZod } from "@/lib/errors";
import { batchCheckCost } from "@/lib/rate-limit/limits";

/** Always answered afresh: a consent check is never served from a cache. */
export const dynamic = "force-dynamic";

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

/** 10,000 checks with long references and purpose keys stay well inside this. */
const MAX_BATCH_BODY_BYTES = 8 * 1024 * 1024;

/** Against the key's rate limit, a batch counts as its size / 100 requests (anything but a list as one). */
const batchCost = (body: unknown) => {
  const checks = (body as { checks?: unknown } | null)?.checks;
  return batchCheckCost(Array.isArray(checks) ? checks.length : 0);
};

/** The batch: a read, so no Idempotency-Key, but its question comes in the body. */
const batchOptions = { scope: "consent:read", readBody: true, maxBodyBytes: MAX_BATCH_BODY_BYTES, cost: batchCost } as const;
export const POST = apiRoute(batchOptions, async ({ db, actor, body }) => {
  const checks = (body as { checks?: unknown } | null)?.checks;
  if (Array.isArray(checks) && checks.length > MAX_BATCH_CHECKS) {
    throw new PayloadTooLargeError(`A batch may hold at most ${MAX_BATCH_CHECKS.toLocaleString("en")} checks; this one has ${checks.length.toLocaleString("en")}.`);
  }
  return { status: 200, body: { results: await checkConsents(db, actor.tenantId, body) } };
});
