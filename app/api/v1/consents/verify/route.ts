import { apiRoute } from "@/lib/api/handler";
import { verifyLedger } from "@/lib/consent/verify";

export const GET = apiRoute({ scope: "audit:read" }, async ({ db, actor }) => {
  const result = await verifyLedger(db, actor.tenantId);
  return {
    status: 200,
    body: result.ok ? result : { ok: false, events: result.events, customers: result.customers, brokenEventId: result.brokenEventId },
  };
});
