import { createHash } from "node:crypto";
import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { consentChannel, consentEvents, legalBasis, noticeKind, notices, purposes, tenants, type Notice, type Purpose } from "@/db/schema";
import { assertAdminOf, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { NotFoundError, ValidationError, fieldErrorsFromZod } from "@/lib/errors";

/** A number of days from a form ("" for none) or from code (a number or null). */
const optionalDays = z.preprocess(
  (v) => (v === "" || v === undefined || v === null ? null : typeof v === "string" ? Number(v.trim()) : v),
  z.number("must be a whole number of days").int("must be a whole number of days").min(1, "must be at least 1 day").max(36_500, "must be at most 36,500 days").nullable(),
);

const purposeName = z.string("is required").trim().min(1, "is required").max(120, "must be at most 120 characters");
const purposeLegalBasis = z.enum(legalBasis.enumValues, "choose a legal basis");
const purposeChannels = z.array(z.enum(consentChannel.enumValues, "unknown channel"), "choose at least one channel").min(1, "choose at least one channel");

/** One schema for the form and for code: booleans and numbers may arrive as form strings. */
export const purposeSchema = z.object({
  key: z.string("is required").trim().regex(/^[a-z][a-z0-9_]{1,39}$/, "must be 2–40 lower-case letters, digits or underscores, starting with a letter"),
  name: purposeName,
  legalBasis: purposeLegalBasis,
  category: z.string("is required").trim().min(1, "is required").max(40, "must be at most 40 characters"),
  specialCategory: z.union([z.boolean(), z.stringbool()], "must be yes or no").default(false),
  channels: purposeChannels,
  reviewIntervalDays: optionalDays.default(null),
  validForDays: optionalDays.default(null),
});

/** What may change on a purpose: not its key (events and notices name it), category or special-category flag. */
export const purposeUpdateSchema = z.object({
  tenantId: z.uuid("unknown tenant"),
  purposeId: z.uuid("unknown purpose"),
  name: purposeName,
  legalBasis: purposeLegalBasis,
  channels: purposeChannels,
  reviewIntervalDays: optionalDays.default(null),
  validForDays: optionalDays.default(null),
});

export const createPurposeSchema = purposeSchema.extend({ tenantId: z.uuid("choose a tenant") });

/** Zod's verdict as our ValidationError, so that every door shows one message per field. */
function parseOrRefuse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new ValidationError(fieldErrorsFromZod(parsed.error.issues));
  return parsed.data;
}

async function assertTenantExists(tx: Db, tenantId: string): Promise<{ name: string }> {
  const [tenant] = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, tenantId));
  if (!tenant) throw new NotFoundError("No such tenant");
  return tenant;
}

export async function createPurpose(db: Db, actor: Actor, tenantId: string, input: z.input<typeof purposeSchema>): Promise<Purpose> {
  assertAdminOf(actor, tenantId);
  const data = parseOrRefuse(purposeSchema, input);
  return db.transaction(async (tx) => {
    await assertTenantExists(tx, tenantId);
    const [clash] = await tx.select({ id: purposes.id }).from(purposes).where(and(eq(purposes.tenantId, tenantId), eq(purposes.key, data.key)));
    if (clash) throw ValidationError.field("key", `a purpose with the key '${data.key}' already exists`);
    const [purpose] = await tx.insert(purposes).values({ tenantId, ...data }).returning();
    await recordAudit(tx, actor, { tenantId, action: "purpose.created", entityType: "purpose", entityId: purpose!.id, after: data });
    return purpose!;
  });
}

export const LEGAL_BASIS_LOCKED = "consent was recorded for this purpose; a new purpose needs fresh consent";

/**
 * Changes a purpose's name, legal basis, channels, review interval or validity. Channels can be added,
 * never removed (consent recorded for a channel must stay checkable). The legal basis is fixed once any
 * consent event exists for the purpose (RULES.md A11: processing cannot move to another basis after a
 * withdrawal; a new purpose needs fresh consent). A new validity applies to grants made from now on.
 */
export async function updatePurpose(db: Db, actor: Actor, input: z.input<typeof purposeUpdateSchema>): Promise<Purpose> {
  const { tenantId, purposeId, ...changes } = parseOrRefuse(purposeUpdateSchema, input);
  assertAdminOf(actor, tenantId);
  return db.transaction(async (tx) => {
    // FOR UPDATE conflicts with the key-share lock a new consent event's foreign key takes on this row:
    // an event being recorded now either commits first (and is seen below) or waits for this change.
    const [before] = await tx
      .select()
      .from(purposes)
      .where(and(eq(purposes.tenantId, tenantId), eq(purposes.id, purposeId)))
      .for("update");
    if (!before) throw new NotFoundError("No such purpose");
    const removed = before.channels.filter((c) => !changes.channels.includes(c));
    if (removed.length) throw ValidationError.field("channels", `channels can be added, not removed: keep ${removed.join(", ")}`);
    if (changes.legalBasis !== before.legalBasis) {
      const [event] = await tx
        .select({ id: consentEvents.id })
        .from(consentEvents)
        .where(and(eq(consentEvents.tenantId, tenantId), eq(consentEvents.purposeId, purposeId)))
        .limit(1);
      if (event) throw ValidationError.field("legalBasis", LEGAL_BASIS_LOCKED);
    }
    const [after] = await tx
      .update(purposes)
      .set(changes)
      .where(and(eq(purposes.tenantId, tenantId), eq(purposes.id, purposeId)))
      .returning();
    await recordAudit(tx, actor, {
      tenantId,
      action: "purpose.updated",
      entityType: "purpose",
      entityId: purposeId,
      before: { name: before.name, legalBasis: before.legalBasis, channels: before.channels, reviewIntervalDays: before.reviewIntervalDays, validForDays: before.validForDays },
      after: changes,
    });
    return after!;
  });
}

export const noticeSchema = z.object({
  purposeKeys: z.array(z.string(), "choose at least one purpose").min(1, "choose at least one purpose"),
  kind: z.enum(noticeKind.enumValues, "must be script or web"),
  language: z.string("is required").trim().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "must be a language tag such as en or en-GB"),
  text: z.string("is required").trim().min(20, "is too short to inform anyone").max(10_000, "must be at most 10,000 characters"),
});

export const publishNoticeSchema = noticeSchema.extend({ tenantId: z.uuid("choose a tenant") });

/**
 * Publishes a new version of the words for a set of purposes. Refused unless the text names the
 * controller, each purpose, and how to withdraw (RULES.md A5). A published version never changes.
 */
export async function publishNotice(db: Db, actor: Actor, tenantId: string, input: z.input<typeof noticeSchema>, now = new Date()): Promise<Notice> {
  assertAdminOf(actor, tenantId);
  const data = parseOrRefuse(noticeSchema, input);
  const purposeKeys = [...new Set(data.purposeKeys)].sort();
  return db.transaction(async (tx) => {
    const tenant = await assertTenantExists(tx, tenantId);
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

export type TenantCatalogue = { purposes: Purpose[]; notices: Notice[] };

/**
 * A tenant's purposes, and every published notice version (by purpose set, kind and language, the
 * newest version first), for the admins who keep the catalogue.
 */
export async function tenantCatalogue(db: Db, actor: Actor, tenantId: string): Promise<TenantCatalogue> {
  assertAdminOf(actor, tenantId);
  const [list, published] = await Promise.all([
    db.select().from(purposes).where(eq(purposes.tenantId, tenantId)).orderBy(asc(purposes.key)),
    db
      .select()
      .from(notices)
      .where(eq(notices.tenantId, tenantId))
      .orderBy(asc(notices.purposeKeys), asc(notices.kind), asc(notices.language), desc(notices.version)),
  ]);
  return { purposes: list, notices: published };
}
