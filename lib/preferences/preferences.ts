import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { customerPreferences, customers, marketingFrequency, preferenceTopics, type CustomerPreferences, type Customer, type MarketingFrequency, type PreferenceTopic } from "@/db/schema";
import { assertRole, assertTenantAccess, type Actor, type SystemActor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, type FieldError } from "@/lib/errors";
import { requireVerification } from "@/lib/identity/verification";
import { preferencesConfirmation } from "@/lib/notifications/messages";
import { enqueueMessage } from "@/lib/notifications/outbox";
import { customerContact } from "@/lib/notifications/recipients";

/*
 * Marketing preferences: which of the tenant's topics a customer likes to hear about, and how often.
 * Preferences are not consent (RULES.md A4, E): they choose what a consented channel carries and
 * never allow a channel by themselves. Nothing here reads or writes the consent ledger, and the
 * consent check never reads preferences.
 */

export const FREQUENCY_LABELS: Record<MarketingFrequency, string> = {
  as_it_happens: "As it happens",
  weekly: "Weekly",
  monthly: "Monthly",
  quarterly: "Quarterly",
};

const blankToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
/** A checkbox group posts nothing when no box is ticked, and a single string when one field is sent. */
const asList = (v: unknown) => (v === undefined || v === null ? [] : typeof v === "string" ? [v] : v);

export const preferencesUpdateSchema = z.object({
  interactionId: z.uuid("Unknown call"),
  customerId: z.uuid("Unknown customer"),
  /** The version the agent saw; 0 when the customer had no preferences yet. */
  version: z.coerce.number("Reload the page and try again").int().min(0),
  topicKeys: z.preprocess(asList, z.array(z.string().trim().min(1).max(100, "must be at most 100 characters"), "Choose topics from the list").max(50, "Choose at most 50 topics")),
  frequency: z.preprocess(blankToUndefined, z.enum(marketingFrequency.enumValues, "Choose how often from the list").optional()),
});

export type PreferencesUpdate = z.output<typeof preferencesUpdateSchema>;

export const topicSchema = z.object({
  key: z
    .string()
    .trim()
    .regex(/^[a-z][a-z0-9_]{1,49}$/, "must be 2–50 lower-case letters, digits or underscores, starting with a letter"),
  name: z.string().trim().min(1, "is required").max(100, "must be at most 100 characters"),
});

export type PreferencesView =
  | { visible: false; topicCount: number }
  | {
      visible: true;
      topics: { key: string; name: string; chosen: boolean }[];
      /** Chosen before a topic was withdrawn from the catalogue: dropped at the next save. */
      retiredTopicKeys: string[];
      frequency: MarketingFrequency | null;
      version: number;
    };

/** The tenant's active topics, in name order: what a customer may choose from. */
export async function topicCatalogue(db: Db, actor: Actor, tenantId: string): Promise<PreferenceTopic[]> {
  assertTenantAccess(actor, tenantId);
  return db
    .select()
    .from(preferenceTopics)
    .where(and(eq(preferenceTopics.tenantId, tenantId), eq(preferenceTopics.active, true)))
    .orderBy(asc(preferenceTopics.name));
}

/** Adds a topic to the tenant's catalogue (an admin, or the product itself when seeding). */
export async function addPreferenceTopic(db: Db, actor: Actor, tenantId: string, input: z.input<typeof topicSchema>): Promise<PreferenceTopic> {
  assertRole(actor, "admin");
  assertTenantAccess(actor, tenantId);
  const parsed = topicSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })));
  return db.transaction(async (tx) => {
    const [topic] = await tx.insert(preferenceTopics).values({ tenantId, ...parsed.data }).onConflictDoNothing().returning();
    if (!topic) throw ValidationError.field("key", `the topic '${parsed.data.key}' already exists`);
    await recordAudit(tx, actor, { tenantId, action: "preferences.topic_added", entityType: "preference_topic", entityId: topic.id, after: { key: topic.key, name: topic.name } });
    return topic;
  });
}

async function currentPreferences(tx: Db, tenantId: string, customerId: string, lock = false): Promise<CustomerPreferences | null> {
  const query = tx
    .select()
    .from(customerPreferences)
    .where(and(eq(customerPreferences.tenantId, tenantId), eq(customerPreferences.customerId, customerId)));
  const [row] = lock ? await query.for("update") : await query;
  return row ?? null;
}

/**
 * The customer's preferences for the preferences panel. They are shown only while this agent holds a
 * call with the customer and the caller is verified at basic level (`view_marketing_preferences`);
 * otherwise the view says only how many topics the tenant offers.
 */
export async function customerPreferencesView(db: Db, actor: Actor, customer: Pick<Customer, "tenantId" | "id">, interactionId: string | null = null, now = new Date()): Promise<PreferencesView> {
  const topics = await topicCatalogue(db, actor, customer.tenantId);
  if (!interactionId) return { visible: false, topicCount: topics.length };
  try {
    await requireVerification(db, actor, interactionId, customer.id, "view_marketing_preferences", now);
  } catch (error) {
    if (error instanceof ForbiddenError || error instanceof ConflictError || error instanceof NotFoundError) return { visible: false, topicCount: topics.length };
    throw error;
  }
  const current = await currentPreferences(db, customer.tenantId, customer.id);
  const chosen = new Set(current?.topicKeys ?? []);
  const active = new Set(topics.map((t) => t.key));
  return {
    visible: true,
    topics: topics.map((t) => ({ key: t.key, name: t.name, chosen: chosen.has(t.key) })),
    retiredTopicKeys: [...chosen].filter((k) => !active.has(k)),
    frequency: current?.frequency ?? null,
    version: current?.version ?? 0,
  };
}

type Choice = { topicKeys: string[]; frequency: MarketingFrequency | null };

/** Every topic must be an active one of the tenant's; each unknown or retired one is named. */
async function validChoice(tx: Db, tenantId: string, input: { topicKeys: string[]; frequency?: MarketingFrequency | null }): Promise<{ choice: Choice; names: Map<string, string> }> {
  const catalogue = await tx.select().from(preferenceTopics).where(eq(preferenceTopics.tenantId, tenantId));
  const byKey = new Map(catalogue.map((t) => [t.key, t]));
  const keys = [...new Set(input.topicKeys)];
  const errors: FieldError[] = [];
  const unknown = keys.filter((k) => !byKey.has(k));
  const retired = keys.filter((k) => byKey.get(k)?.active === false);
  if (unknown.length) errors.push({ path: "topicKeys", message: `${unknown.map((k) => `'${k}'`).join(", ")} ${unknown.length === 1 ? "is not a topic" : "are not topics"} of this brand` });
  if (retired.length) errors.push({ path: "topicKeys", message: `${retired.map((k) => `'${byKey.get(k)!.name}'`).join(", ")} ${retired.length === 1 ? "is" : "are"} no longer offered` });
  if (keys.length > 0 && !input.frequency) errors.push({ path: "frequency", message: "Choose how often the customer wants to hear from us" });
  if (errors.length) throw new ValidationError(errors, "The preferences were not saved: see the highlighted fields.");
  // Stored in catalogue order, so that the same choice always reads the same.
  const ordered = catalogue.filter((t) => keys.includes(t.key)).map((t) => t.key);
  return { choice: { topicKeys: ordered, frequency: input.frequency ?? null }, names: new Map(catalogue.map((t) => [t.key, t.name])) };
}

const sameChoice = (a: Choice, b: Choice) => a.frequency === b.frequency && a.topicKeys.length === b.topicKeys.length && a.topicKeys.every((k) => b.topicKeys.includes(k));

/** Writes the new choice if `version` is still current; null when someone else saved in between. */
async function writeChoice(tx: Db, tenantId: string, customerId: string, version: number, choice: Choice, now: Date): Promise<CustomerPreferences | null> {
  if (version === 0) {
    const [inserted] = await tx
      .insert(customerPreferences)
      .values({ tenantId, customerId, topicKeys: choice.topicKeys, frequency: choice.frequency, version: 1, updatedAt: now })
      .onConflictDoNothing()
      .returning();
    return inserted ?? null;
  }
  const [updated] = await tx
    .update(customerPreferences)
    .set({ topicKeys: choice.topicKeys, frequency: choice.frequency, version: sql`${customerPreferences.version} + 1`, updatedAt: now })
    .where(and(eq(customerPreferences.tenantId, tenantId), eq(customerPreferences.customerId, customerId), eq(customerPreferences.version, version)))
    .returning();
  return updated ?? null;
}

const choiceOf = (row: CustomerPreferences | null): Choice => ({ topicKeys: row?.topicKeys ?? [], frequency: row?.frequency ?? null });

function staleSave(current: CustomerPreferences | null, names: Map<string, string>): ValidationError {
  const topics = current?.topicKeys.length ? current.topicKeys.map((k) => names.get(k) ?? k).join(", ") : "no topics";
  const frequency = current?.frequency ? FREQUENCY_LABELS[current.frequency] : "not set";
  return new ValidationError(
    [
      { path: "topicKeys", message: `Changed by someone else while you were editing: now ${topics}.` },
      { path: "frequency", message: `Changed by someone else while you were editing: now ${frequency}.` },
    ],
    "Someone else saved this customer's preferences after you opened them. Check the current values below, then save again.",
  );
}

/**
 * Changes a customer's marketing topics and frequency during a call, with the caller verified at basic
 * level. A save based on an outdated version is refused with the current values. The change, its audit
 * event and the customer's confirmation (email on file, else SMS) are written in one transaction.
 * Preferences never touch consent: a topic chosen here allows no channel.
 */
export async function updateMarketingPreferences(db: Db, actor: Actor, input: PreferencesUpdate, now = new Date()): Promise<CustomerPreferences> {
  return db.transaction(async (tx) => {
    const { call, verification, level } = await requireVerification(tx, actor, input.interactionId, input.customerId, "change_marketing_preferences", now);
    const { choice, names } = await validChoice(tx, call.tenantId, input);
    const current = await currentPreferences(tx, call.tenantId, call.customerId, true);
    if ((current?.version ?? 0) !== input.version) throw staleSave(current, names);
    if (current && sameChoice(choiceOf(current), choice)) return current;

    const saved = await writeChoice(tx, call.tenantId, call.customerId, input.version, choice, now);
    if (!saved) throw staleSave(await currentPreferences(tx, call.tenantId, call.customerId), names);

    await recordAudit(tx, actor, {
      tenantId: call.tenantId,
      action: "preferences.updated",
      entityType: "customer_preferences",
      entityId: call.customerId,
      customerId: call.customerId,
      interactionId: call.id,
      before: choiceOf(current),
      after: choice,
      reason: `caller verified (${level}), verification ${verification.id}`,
    });
    const contact = await customerContact(tx, call.tenantId, call.customerId);
    if (contact?.route) {
      const message = preferencesConfirmation(
        contact.tenantName,
        choice.topicKeys.map((k) => names.get(k) ?? k),
        choice.frequency ? FREQUENCY_LABELS[choice.frequency].toLowerCase() : null,
        now,
      );
      await enqueueMessage(
        tx,
        { tenantId: call.tenantId, channel: contact.route.channel, template: "preferences.updated", recipient: contact.route.to, subject: message.subject, body: message.body, customerId: call.customerId, interactionId: call.id },
        now,
      );
    }
    return saved;
  });
}

/**
 * Preferences brought in by the product itself (the demo seed): no call, so no verification and no
 * confirmation to the customer, but the same catalogue check and an audit event like any change.
 */
export async function importMarketingPreferences(db: Db, actor: SystemActor, input: { tenantId: string; customerRef: string; topicKeys: string[]; frequency: MarketingFrequency | null }, now = new Date()): Promise<CustomerPreferences> {
  if (actor.type !== "system") throw new ForbiddenError();
  return db.transaction(async (tx) => {
    const [customer] = await tx.select({ id: customers.id }).from(customers).where(and(eq(customers.tenantId, input.tenantId), eq(customers.ref, input.customerRef)));
    if (!customer) throw new NotFoundError("No such customer");
    const { choice } = await validChoice(tx, input.tenantId, input);
    const current = await currentPreferences(tx, input.tenantId, customer.id, true);
    const saved = await writeChoice(tx, input.tenantId, customer.id, current?.version ?? 0, choice, now);
    if (!saved) throw new ConflictError("The customer's preferences changed while importing.");
    await recordAudit(tx, actor, {
      tenantId: input.tenantId,
      action: "preferences.updated",
      entityType: "customer_preferences",
      entityId: customer.id,
      customerId: customer.id,
      before: choiceOf(current),
      after: choice,
      reason: `imported by ${actor.label}`,
    });
    return saved;
  });
}
