import { apiRoute } from "@/lib/api/handler";
import { recordExternalConsent } from "@/lib/consent/record";

export const POST = apiRoute({ scope: "consent:write", write: true }, async ({ db, actor, body }) => ({
  status: 201,
  body: await recordExternalConsent(db, actor, actor.tenantId, body),
}));
