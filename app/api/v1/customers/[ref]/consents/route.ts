import { apiRoute } from "@/lib/api/handler";
import { customerConsents } from "@/lib/consent/history";

export const GET = apiRoute<{ ref: string }>({ scope: "consent:read" }, async ({ db, actor, params }) => ({
  status: 200,
  body: await customerConsents(db, actor, actor.tenantId, params.ref),
}));
