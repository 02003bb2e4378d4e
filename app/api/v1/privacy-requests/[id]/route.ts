import { apiRoute } from "@/lib/api/handler";
import { getPrivacyRequest, requestRecord } from "@/lib/privacy-requests/requests";

type Params = { id: string };

/**
 * A request's current state. API.md names no `requests:read` scope, so reading takes the scope that
 * created it: a system that logs requests follows them up. Another tenant's id answers 404.
 */
export const GET = apiRoute<Params>({ scope: "requests:write" }, async ({ db, actor, params }) => ({
  status: 200,
  body: requestRecord(await getPrivacyRequest(db, actor, actor.tenantId, params.id)),
}));
