import { randomBytes, randomUUID } from "node:crypto";
import { and, arrayContains, asc, desc, eq, inArray, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { WEBHOOK_EVENT_TYPES, outboxAttempts, outboxMessages, tenants, webhookEndpoints, type WebhookEndpoint, type WebhookEventType } from "@/db/schema";
import { adminScope, assertAdminOf, assertRole, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { NotFoundError, ValidationError, fieldErrorsFromZod } from "@/lib/errors";
import { enqueueMessage } from "@/lib/notifications/outbox";
import { seal } from "@/lib/notifications/sealed";
import { checkWebhookTarget, defaultTargetPolicy, TargetRefusedError } from "./targets";
import type { RefusalReason, TargetPolicy } from "./targets";

/** What the admin is told of a refused address; the delivery log says less (see delivery.ts). */
const TARGET_REFUSALS: Record<RefusalReason, string> = {
  scheme: "must start with https:// (plain http:// only to this machine, outside production)",
  not_found: "was not found: check the host name",
  not_public: "must be on the internet: private, loopback, link-local and reserved addresses are refused",
};

const endpointUrl = z
  .string()
  .trim()
  .max(2000, "must be at most 2000 characters")
  .pipe(z.url("must be a full address such as https://crm.example.com/attest-webhooks"))
  .superRefine((value, ctx) => {
    if (!URL.canParse(value)) return; // reported by z.url
    const url = new URL(value);
    // Where the name leads, and so whether plain http may go there, is checked once it is resolved.
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      ctx.addIssue({ code: "custom", message: TARGET_REFUSALS.scheme });
    }
    // It is shown on the admin screen and in the audit: a password in it would be shown too.
    if (url.username || url.password) ctx.addIssue({ code: "custom", message: "must not contain a user name or password" });
  });

export const registerWebhookEndpointSchema = z.object({
  tenantId: z.uuid("Choose a tenant"),
  url: endpointUrl,
  description: z.string().trim().min(1, "Say which system receives these, e.g. CRM").max(200, "must be at most 200 characters"),
  eventTypes: z.array(z.enum(WEBHOOK_EVENT_TYPES, "Unknown event type"), "Choose at least one event type").min(1, "Choose at least one event type"),
});

export const webhookEndpointIdSchema = z.object({ endpointId: z.uuid("Unknown endpoint") });

type RegistrationOptions = { secret?: string; targets?: TargetPolicy };
const newSigningSecret = () => `whsec_${randomBytes(32).toString("base64url")}`;

/**
 * Registers a tenant's endpoint and returns its signing secret in clear this once. The secret is kept
 * sealed (encrypted), not hashed: every delivery must sign with it. The address is resolved and
 * refused unless public (see checkWebhookTarget); every delivery checks it again.
 */
export async function registerWebhookEndpoint(
  db: Db,
  actor: Actor,
  input: z.input<typeof registerWebhookEndpointSchema>,
  { secret = newSigningSecret(), targets = defaultTargetPolicy() }: RegistrationOptions = {},
): Promise<{ id: string; secret: string }> {
  assertRole(actor, "admin");
  const parsed = registerWebhookEndpointSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(fieldErrorsFromZod(parsed.error.issues));
  const data = parsed.data;
  // Another tenant's admin is told the tenant does not exist.
  assertAdminOf(actor, data.tenantId);
  try {
    await checkWebhookTarget(data.url, targets);
  } catch (error) {
    if (error instanceof TargetRefusedError) throw ValidationError.field("url", TARGET_REFUSALS[error.reason]);
    throw error;
  }
  return db.transaction(async (tx) => {
    const [tenant] = await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, data.tenantId));
    if (!tenant) throw new NotFoundError("No such tenant");
    const eventTypes = [...new Set(data.eventTypes)];
    const [row] = await tx
      .insert(webhookEndpoints)
      .values({
        tenantId: data.tenantId,
        url: data.url,
        description: data.description,
        eventTypes,
        secretSealed: seal(secret),
        createdBy: actor.type === "staff" ? actor.id : null,
      })
      .returning({ id: webhookEndpoints.id });
    await recordAudit(tx, actor, {
      tenantId: data.tenantId,
      action: "webhook_endpoint.registered",
      entityType: "webhook_endpoint",
      entityId: row!.id,
      // Where events go, without the path and query, which can carry the receiver's own token.
      after: { destination: new URL(data.url).origin, description: data.description, eventTypes },
    });
    return { id: row!.id, secret };
  });
}

export type WebhookEndpointSummary = Omit<WebhookEndpoint, "secretSealed">;

/** The endpoints of the admin's tenants, newest first, without their secrets. */
export async function listWebhookEndpoints(db: Db, actor: Actor): Promise<WebhookEndpointSummary[]> {
  const scope = adminScope(actor);
  if (scope?.length === 0) return [];
  const rows = await db
    .select()
    .from(webhookEndpoints)
    .where(scope ? inArray(webhookEndpoints.tenantId, scope) : undefined)
    .orderBy(desc(webhookEndpoints.createdAt));
  return rows.map(({ secretSealed: _secret, ...rest }) => rest);
}

/** Stops deliveries to an endpoint: nothing new is queued for it, and what is queued fails instead of being sent. */
export async function disableWebhookEndpoint(db: Db, actor: Actor, endpointId: string, now = new Date()): Promise<void> {
  const scope = adminScope(actor);
  if (scope?.length === 0) throw new NotFoundError("No such active endpoint");
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(webhookEndpoints)
      .set({ disabledAt: now })
      .where(and(eq(webhookEndpoints.id, endpointId), isNull(webhookEndpoints.disabledAt), scope ? inArray(webhookEndpoints.tenantId, scope) : undefined))
      .returning();
    if (!row) throw new NotFoundError("No such active endpoint");
    await recordAudit(tx, actor, {
      tenantId: row.tenantId,
      action: "webhook_endpoint.disabled",
      entityType: "webhook_endpoint",
      entityId: row.id,
      before: { destination: new URL(row.url).origin, description: row.description, eventTypes: row.eventTypes },
    });
  });
}

export type WebhookDelivery = {
  id: string;
  tenantId: string;
  endpointId: string;
  eventType: string;
  /** The envelope's `id`, which receivers use to recognise a repeated delivery. */
  eventId: string | null;
  status: "pending" | "sending" | "delivered" | "failed";
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  nextAttemptAt: Date;
  deliveredAt: Date | null;
  giveUpAt: Date;
  attemptLog: { attemptedAt: Date; ok: boolean; error: string | null; durationMs: number }[];
};

function eventIdOf(body: string | null): string | null {
  try {
    const id = (JSON.parse(body ?? "null") as { id?: unknown } | null)?.id;
    return typeof id === "string" ? id : null;
  } catch {
    return null;
  }
}

/** The newest webhook deliveries of the admin's tenants, each with every attempt made, oldest attempt first. */
export async function recentWebhookDeliveries(db: Db, actor: Actor, limit = 50): Promise<WebhookDelivery[]> {
  const scope = adminScope(actor);
  if (scope?.length === 0) return [];
  const messages = await db
    .select()
    .from(outboxMessages)
    .where(and(eq(outboxMessages.channel, "webhook"), scope ? inArray(outboxMessages.tenantId, scope) : undefined))
    .orderBy(desc(outboxMessages.createdAt), desc(outboxMessages.id))
    .limit(limit);
  if (messages.length === 0) return [];
  const attempts = await db
    .select()
    .from(outboxAttempts)
    .where(
      and(
        inArray(outboxAttempts.tenantId, [...new Set(messages.map((m) => m.tenantId))]),
        inArray(
          outboxAttempts.messageId,
          messages.map((m) => m.id),
        ),
      ),
    )
    .orderBy(asc(outboxAttempts.attemptedAt));
  return messages.map((m) => ({
    id: m.id,
    tenantId: m.tenantId,
    endpointId: m.recipient,
    eventType: m.template,
    eventId: eventIdOf(m.body),
    status: m.status,
    attempts: m.attempts,
    lastError: m.lastError,
    createdAt: m.createdAt,
    nextAttemptAt: m.nextAttemptAt,
    deliveredAt: m.deliveredAt,
    giveUpAt: m.giveUpAt,
    attemptLog: attempts
      .filter((a) => a.tenantId === m.tenantId && a.messageId === m.id)
      .map((a) => ({ attemptedAt: a.attemptedAt, ok: a.ok, error: a.error, durationMs: a.durationMs })),
  }));
}

/** What each event carries: references, names of fields and states, never a customer's personal values. */
export type WebhookEventData = {
  "consent.changed": {
    customer: string;
    purpose: string;
    channel: string;
    action: string;
    /** The status this event sets; a back-dated event may be older than the customer's current choice. */
    status: string;
    eventId: string;
    occurredAt: string;
    validUntil: string | null;
  };
  "customer.updated": { customer: string; version: number; changed: string[] };
  /** The customer's personal data is gone: every system that holds a copy must erase it too. */
  "customer.erased": { customer: string; requestId: string; erasedAt: string };
  /** States and dates only: no resolution, which may be a supervisor's own words (the API's GET shows it). */
  "privacy_request.updated": {
    customer: string;
    id: string;
    type: string;
    status: string;
    receivedAt: string;
    dueAt: string;
    extended: boolean;
    acknowledgeBy: string | null;
    acknowledgedAt: string | null;
    completedAt: string | null;
  };
};

/** The JSON each endpoint receives, as API.md "Webhooks" specifies it. */
export type WebhookEnvelope<T extends WebhookEventType = WebhookEventType> = {
  id: string;
  type: T;
  occurredAt: string;
  tenant: string;
  data: WebhookEventData[T];
};

/**
 * Queues one delivery of an event to every active endpoint of the tenant subscribed to its type, in
 * the caller's transaction: the event goes out if and only if the change commits. All deliveries of
 * one event share its `id`, the receiver's idempotency key. Returns that id (null when nobody listens).
 */
export async function emitWebhook<T extends WebhookEventType>(tx: Db, tenantId: string, type: T, data: WebhookEventData[T], now = new Date()): Promise<string | null> {
  const endpoints = await tx
    .select({ id: webhookEndpoints.id, tenantKey: tenants.key })
    .from(webhookEndpoints)
    .innerJoin(tenants, eq(tenants.id, webhookEndpoints.tenantId))
    .where(and(eq(webhookEndpoints.tenantId, tenantId), isNull(webhookEndpoints.disabledAt), arrayContains(webhookEndpoints.eventTypes, [type])))
    .orderBy(asc(webhookEndpoints.createdAt));
  if (endpoints.length === 0) return null;
  const envelope: WebhookEnvelope<T> = { id: randomUUID(), type, occurredAt: now.toISOString(), tenant: endpoints[0]!.tenantKey, data };
  const body = JSON.stringify(envelope);
  for (const endpoint of endpoints) {
    await enqueueMessage(tx, { tenantId, channel: "webhook", template: type, recipient: endpoint.id, body }, now);
  }
  return envelope.id;
}
