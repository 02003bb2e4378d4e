import { apiRoute } from "@/lib/api/handler";
import { consentRecord } from "@/lib/consent/receipts";

export const GET = apiRoute<{ eventId: string }>({ scope: "consent:read" }, async ({ db, actor, params }) => ({
  status: 200,
  body: await consentRecord(db, actor, actor.tenantId, params.eventId),
}));
