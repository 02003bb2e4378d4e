import { apiRoute } from "@/lib/api/handler";
import { purposesWithNotices } from "@/lib/consent/catalogue";

export const GET = apiRoute({ scope: "consent:read" }, async ({ db, actor }) => {
  const purposes = await purposesWithNotices(db, actor.tenantId);
  return {
    status: 200,
    body: {
      purposes: purposes.map((p) => ({
        key: p.key,
        name: p.name,
        legalBasis: p.legalBasis,
        category: p.category,
        specialCategory: p.specialCategory,
        channels: p.channels,
        notices: p.notices.map((n) => ({ id: n.id, version: n.version, kind: n.kind, language: n.language, text: n.text, hash: n.hash, publishedAt: n.publishedAt.toISOString() })),
      })),
    },
  };
});
