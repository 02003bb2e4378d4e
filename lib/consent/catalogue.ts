import { createHash } from "node:crypto";
import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { consentChannel, legalBasis, noticeKind, notices, purposes, tenants, type Notice, type Purpose } from "@/db/schema";
import { assertRole, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { ConflictError, NotFoundError, ValidationError } from "@/lib/errors";

export const purposeSchema = z.object({
  key: z.string().trim().regex(/^[a-z][a-z0-9_]{1,39}$/, "must be 2–40 lower-case letters, digits or underscores"),
  name: z.string().trim().min(1, "is required").max(120),
  legalBasis: z.enum(legalBasis.enumValues),
  category: z.string().trim().min(1).max(40),
  specialCategory: z.boolean().default(false),
  channels: z.array(z.enum(consentChannel.enumValues)).min(1, "choose at least one channel"),
  reviewIntervalDays: z.number().int().min(1).nullable().default(null),
  validForDays: z.number().int().min(1).nullable().default(null),
});

export async function createPurpose(db: Db, actor: Actor, tenantId: string, input: z.input<typeof purposeSchema>): Promise<Purpose> {
  assertRole(actor, "admin");
  const data = purposeSchema.parse(input);
  return db.transaction(async (tx) => {
    const [clash] = await tx.select({ id: purposes.id }).from(purposes).where(and(eq(purposes.tenantId, tenantId), eq(purposes.key, data.key)));
    if (clash) throw new ConflictError(`A purpose with key '${data.key}' already exists.`);
    const [purpose] = await tx.insert(purposes).values({ tenantId, ...data }).returning();
    await recordAudit(tx, actor, { tenantId, action: "purpose.created", entityType: "purpose", entityId: purpose!.id, after: data });
    return purpose!;
  });
}

export const noticeSchema = z.object({
  purposeKeys: z.array(z.string()).min(1, "name at least one purpose"),
  kind: z.enum(noticeKind.enumValues),
  language: z.string().trim().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "must be a language tag such as en or en-GB"),
  text: z.string().trim().min(20, "is too short to inform anyone").max(10_000),
});

/**
 * Publishes a new version of the words for a set of purposes. Refused unless the text names the
 * controller, each purpose, and how to withdraw (RULES.md A5). A published version never changes.
 */
export async function publishNotice(db: Db, actor: Actor, tenantId: string, input: z.input<typeof noticeSchema>, now = new Date()): Promise<Notice> {
  assertRole(actor, "admin");
  const data = noticeSchema.parse(input);
  const purposeKeys = [...new Set(data.purposeKeys)].sort();
  return db.transaction(async (tx) => {
    const [tenant] = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, tenantId));
    if (!tenant) throw new NotFoundError("No such tenant");
    const covered = await tx.select().from(purposes).where(and(eq(purposes.tenantId, tenantId), inArray(purposes.key, purposeKeys)));
    const unknown = purposeKeys.filter((k) => !covered.some((p) => p.key === k));
    if (unknown.length) throw ValidationError.field("purposeKeys", `unknown purpose ${unknown.map((k) => `'${k}'`).join(", ")}`);
    const text = data.text.toLowerCase();
    const missing = [
      !text.includes(tenant.name.toLowerCase()) && `the controller's name (${tenant.name})`,
      ...covered.filter((p) => !text.includes(p.name.toLowerCase())).map((p) => `the purpose “${p.name}”`),
      !/withdraw|opt out|unsubscribe|change your mind/.test(text) && "how to withdraw consent",
    ].filter(Boolean);
    if (missing.length) throw ValidationError.field("text", `must name ${missing.join(", ")}`);
    const [latest] = await tx
      .select({ version: notices.version })
      .from(notices)
      .where(and(eq(notices.tenantId, tenantId), eq(notices.kind, data.kind), eq(notices.language, data.language), sql`${notices.purposeKeys} = ${`{${purposeKeys.join(",")}}`}::text[]`))
      .orderBy(desc(notices.version))
      .limit(1);
    const [notice] = await tx
      .insert(notices)
      .values({ tenantId, purposeKeys, kind: data.kind, language: data.language, version: (latest?.version ?? 0) + 1, text: data.text, hash: createHash("sha256").update(data.text).digest("hex"), publishedAt: now })
      .returning();
    await recordAudit(tx, actor, { tenantId, action: "notice.published", entityType: "notice", entityId: notice!.id, after: { purposeKeys, kind: data.kind, language: data.language, version: notice!.version, hash: notice!.hash } });
    return notice!;
  });
}

export type PurposeWithNotices = Purpose & { notices: Notice[] };

/** The tenant's purposes with the newest published version of each notice covering them. */
export async function purposesWithNotices(db: Db, tenantId: string): Promise<PurposeWithNotices[]> {
  const [list, published] = await Promise.all([
    db.select().from(purposes).where(eq(purposes.tenantId, tenantId)).orderBy(asc(purposes.key)),
    db.select().from(notices).where(eq(notices.tenantId, tenantId)).orderBy(desc(notices.version)),
  ]);
  const newest = new Map<string, Notice>();
  for (const n of published) {
    const series = `${n.kind}|${n.language}|${n.purposeKeys.join(",")}`;
    if (!newest.has(series)) newest.set(series, n);
  }
  return list.map((p) => ({ ...p, notices: [...newest.values()].filter((n) => n.purposeKeys.includes(p.key)) }));
}
