import { apiRoute } from "@/lib/api/handler";
import { createPrivacyRequest, requestRecord } from "@/lib/privacy-requests/requests";

/** API.md "Privacy requests": a request the tenant's systems received, due by the tenant's jurisdiction. */
export const POST = apiRoute({ scope: "requests:write", write: true }, async ({ db, actor, body }) => ({
  status: 201,
  body: requestRecord(await createPrivacyRequest(db, actor, actor.tenantId, body)),
}));
