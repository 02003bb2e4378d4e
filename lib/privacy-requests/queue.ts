import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { auditEvents, customers, privacyRequestStatus, privacyRequests, staffTenants, staffUsers, tenants, type AuditEvent, type PrivacyRequest, type PrivacyRequestStatus } from "@/db/schema";
import { assertRole, assertTenantAccess, tenantScope, type Actor } from "@/lib/actor";
import { recordAudit } from "@/lib/audit/audit";
import { ConflictError, NotFoundError, ValidationError } from "@/lib/errors";
import { enqueueMessage } from "@/lib/notifications/outbox";
import { customerContact } from "@/lib/notifications/recipients";
import { refuseCardData } from "@/lib/payments/card-numbers";
import { canExtend, clockStartFor, deadlineFor, deadlineState, type Regime } from "./deadlines";
import { extensionNotice, rejectionResponse, requestCompleted } from "./messages";
import { announce, isActive } from "./requests";
import { applyRestriction } from "./restriction";

const reasonText = (what: string) => z.string(`Write ${what}`).trim().min(10, `Write ${what} (at least 10 characters)`).max(2000, "At most 2,000 characters").superRefine(refuseCardData);

const target = { requestId: z.uuid("Unknown request"), version: z.coerce.number("Reload the page").int().positive() };

export const assignSchema = z.object({ ...target, assigneeId: z.preprocess((v) => (v === "" ? null : v), z.uuid("Choose a person").nullable()) });
export const confirmIdentitySchema = z.object({ ...target, method: reasonText("how the identity was confirmed") });
export const startWorkSchema = z.object(target);
export const extendSchema = z.object({ ...target, reason: reasonText("why more time is needed: the customer is told") });
export const rejectSchema = z.object({
  ...target,
  ground: z.enum(["manifestly_unfounded", "excessive"], "Choose manifestly unfounded or excessive"),
  reason: reasonText("the justification: the customer receives it"),
});
export const completeSchema = z.object({ ...target, resolution: reasonText("what was done: the customer is told") });

export type QueueItem = {
  id: string;
  type: PrivacyRequest["type"];
  status: PrivacyRequestStatus;
  regime: string;
  receivedAt: Date;
  dueAt: Date;
  extended: boolean;
  deadline: ReturnType<typeof deadlineState>;
  customerId: string;
  customerName: string;
  customerRef: string;
  tenantId: string;
  assigneeName: string | null;
  acknowledgeBy: Date | null;
  acknowledgedAt: Date | null;
};

export const queueFilterSchema = z.object({
  status: z.enum([...privacyRequestStatus.enumValues, "active", "all"]).catch("active"),
});

/**
 * The supervisors' queue: every request of their tenants, the most urgent first (by due date), with
 * overdue and due-soon flagged. Closed requests are shown only when asked for.
 */
export async function privacyRequestQueue(db: Db, actor: Actor, filter: z.output<typeof queueFilterSchema> = { status: "active" }, now = new Date()): Promise<QueueItem[]> {
  assertRole(actor, "supervisor", "admin");
  const scope = tenantScope(actor);
  if (scope && scope.length === 0) return [];
  const statuses: PrivacyRequestStatus[] =
    filter.status === "all" ? [...privacyRequestStatus.enumValues] : filter.status === "active" ? ["identity_pending", "open", "in_progress", "awaiting_release"] : [filter.status];
  const rows = await db
    .select({ r: privacyRequests, customerName: customers.name, customerRef: customers.ref, assigneeName: staffUsers.name })
    .from(privacyRequests)
    .innerJoin(customers, and(eq(customers.tenantId, privacyRequests.tenantId), eq(customers.id, privacyRequests.customerId)))
    .leftJoin(staffUsers, eq(staffUsers.id, privacyRequests.assignedTo))
    .where(and(scope ? inArray(privacyRequests.tenantId, scope) : undefined, inArray(privacyRequests.status, statuses)))
    .orderBy(asc(privacyRequests.dueAt))
    .limit(500);
  return rows.map(({ r, customerName, customerRef, assigneeName }) => ({
    id: r.id,
    type: r.type,
    status: r.status,
    regime: r.regime,
    receivedAt: r.receivedAt,
    dueAt: r.dueAt,
    extended: r.extendedAt !== null,
    deadline: isActive(r.status) ? deadlineState(r.dueAt, now) : "on_track",
    customerId: r.customerId,
    customerName,
    customerRef,
    tenantId: r.tenantId,
    assigneeName,
    acknowledgeBy: r.acknowledgeBy,
    acknowledgedAt: r.acknowledgedAt,
  }));
}

/** Active requests past or near their due date, for the navigation badge. */
export async function urgentPrivacyRequestCount(db: Db, actor: Actor, now = new Date()): Promise<number> {
  if (actor.type !== "staff" || actor.role === "agent" || actor.tenantIds.length === 0) return 0;
  const soon = new Date(now.getTime() + 7 * 86_400_000);
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(privacyRequests)
    .where(and(inArray(privacyRequests.tenantId, actor.tenantIds), inArray(privacyRequests.status, ["identity_pending", "open", "in_progress", "awaiting_release"]), sql`${privacyRequests.dueAt} <= ${soon.toISOString()}::timestamptz`));
  return row?.n ?? 0;
}

/** A request found by id among the actor's tenants (the URL carries no tenant). */
export async function requestOf(db: Db, actor: Actor, requestId: string, forUpdate = false): Promise<PrivacyRequest> {
  const scope = tenantScope(actor);
  if (!z.uuid().safeParse(requestId).success || (scope && scope.length === 0)) throw new NotFoundError("No such privacy request");
  const where = and(eq(privacyRequests.id, requestId), scope ? inArray(privacyRequests.tenantId, scope) : undefined);
  const [request] = forUpdate ? await db.select().from(privacyRequests).where(where).for("update") : await db.select().from(privacyRequests).where(where);
  if (!request) throw new NotFoundError("No such privacy request");
  return request;
}

export type RequestDetail = {
  request: PrivacyRequest;
  customer: { id: string; name: string; ref: string; status: string; restricted: boolean };
  assigneeName: string | null;
  timeline: AuditEvent[];
  assignable: { id: string; name: string }[];
  extension: ReturnType<typeof canExtend>;
  deadline: ReturnType<typeof deadlineState>;
};

/** One request with its customer, its audited history and what may be done next. */
export async function privacyRequestDetail(db: Db, actor: Actor, requestId: string, now = new Date()): Promise<RequestDetail> {
  assertRole(actor, "supervisor", "admin");
  const request = await requestOf(db, actor, requestId);
  const [customer] = await db
    .select({ id: customers.id, name: customers.name, ref: customers.ref, status: customers.status, restricted: customers.restricted })
    .from(customers)
    .where(and(eq(customers.tenantId, request.tenantId), eq(customers.id, request.customerId)));
  const [assignee] = request.assignedTo ? await db.select({ name: staffUsers.name }).from(staffUsers).where(eq(staffUsers.id, request.assignedTo)) : [];
  const timeline = await db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.tenantId, request.tenantId), eq(auditEvents.entityType, "privacy_request"), eq(auditEvents.entityId, request.id)))
    .orderBy(desc(auditEvents.at));
  const assignable = await db
    .select({ id: staffUsers.id, name: staffUsers.name })
    .from(staffUsers)
    .innerJoin(staffTenants, eq(staffTenants.staffId, staffUsers.id))
    .where(and(eq(staffTenants.tenantId, request.tenantId), eq(staffUsers.active, true), inArray(staffUsers.role, ["supervisor", "admin"])))
    .orderBy(asc(staffUsers.name));
  return {
    request,
    customer: customer!,
    assigneeName: assignee?.name ?? null,
    timeline,
    assignable,
    extension: extensionCheck(request, now),
    deadline: isActive(request.status) ? deadlineState(request.dueAt, now) : "on_track",
  };
}

function extensionCheck(request: PrivacyRequest, now: Date): ReturnType<typeof canExtend> {
  if (!isActive(request.status)) return { ok: false, reason: "The request is closed." };
  const deadline = deadlineFor({ rulePacks: [request.regime], type: request.type, clockStartsAt: request.clockStartedAt, receivedAt: request.receivedAt });
  return canExtend({ deadline: { ...deadline, dueAt: request.originalDueAt }, alreadyExtended: request.extendedAt !== null, now });
}

type Change = { action: string; set: Partial<typeof privacyRequests.$inferInsert>; reason?: string | null; after?: Record<string, unknown> };

/**
 * The one way a supervisor's step changes a request: locked, version-checked (a second supervisor's
 * stale form is refused, never silently applied), audited and announced in one transaction.
 */
export async function requestStep(
  db: Db,
  actor: Actor,
  input: { requestId: string; version: number },
  decide: (tx: Db, request: PrivacyRequest, customerRef: string) => Promise<Change>,
  now: Date,
): Promise<PrivacyRequest> {
  assertRole(actor, "supervisor", "admin");
  return db.transaction(async (tx) => {
    const request = await requestOf(tx, actor, input.requestId, true);
    assertTenantAccess(actor, request.tenantId);
    if (request.version !== input.version) throw new ConflictError("Someone else changed this request after you opened it. Reload the page to see its current state.");
    const [customer] = await tx.select({ ref: customers.ref }).from(customers).where(and(eq(customers.tenantId, request.tenantId), eq(customers.id, request.customerId)));
    const change = await decide(tx, request, customer!.ref);
    const [updated] = await tx
      .update(privacyRequests)
      .set({ ...change.set, version: sql`${privacyRequests.version} + 1`, updatedAt: now })
      .where(and(eq(privacyRequests.tenantId, request.tenantId), eq(privacyRequests.id, request.id)))
      .returning();
    await recordAudit(tx, actor, {
      tenantId: request.tenantId,
      action: `privacy_request.${change.action}`,
      entityType: "privacy_request",
      entityId: request.id,
      customerId: request.customerId,
      before: { status: request.status, dueAt: request.dueAt.toISOString() },
      after: { status: updated!.status, dueAt: updated!.dueAt.toISOString(), ...change.after },
      reason: change.reason ?? null,
    });
    await announce(tx, customer!.ref, updated!, now);
    return updated!;
  });
}

export function mustBeActive(request: PrivacyRequest): void {
  if (!isActive(request.status)) throw new ConflictError(`This request is ${request.status}; nothing more can be done to it.`);
}

export async function tellCustomer(tx: Db, request: PrivacyRequest, template: string, message: { subject: string; body: string }, now: Date): Promise<boolean> {
  const contact = await customerContact(tx, request.tenantId, request.customerId);
  if (!contact?.route) return false;
  await enqueueMessage(tx, { tenantId: request.tenantId, channel: contact.route.channel, template, recipient: contact.route.to, ...message, customerId: request.customerId }, now);
  return true;
}

export const tenantName = async (tx: Db, tenantId: string) => (await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, tenantId)))[0]!.name;

export async function assignRequest(db: Db, actor: Actor, input: z.output<typeof assignSchema>, now = new Date()): Promise<PrivacyRequest> {
  return requestStep(
    db,
    actor,
    input,
    async (tx, request) => {
      mustBeActive(request);
      if (input.assigneeId) {
        const [member] = await tx
          .select({ id: staffUsers.id, name: staffUsers.name })
          .from(staffUsers)
          .innerJoin(staffTenants, and(eq(staffTenants.staffId, staffUsers.id), eq(staffTenants.tenantId, request.tenantId)))
          .where(and(eq(staffUsers.id, input.assigneeId), eq(staffUsers.active, true), inArray(staffUsers.role, ["supervisor", "admin"])));
        if (!member) throw ValidationError.field("assigneeId", "Choose a supervisor or admin of this brand");
        return { action: "assigned", set: { assignedTo: member.id }, after: { assignee: member.name } };
      }
      return { action: "unassigned", set: { assignedTo: null } };
    },
    now,
  );
}

/**
 * The requester's identity is confirmed against what we hold (B4, D8). Under UK GDPR the clock starts
 * now rather than at receipt (B3); elsewhere it keeps running from receipt (D2). A restriction takes
 * effect at this point.
 */
export async function confirmIdentity(db: Db, actor: Actor, input: z.output<typeof confirmIdentitySchema>, now = new Date()): Promise<PrivacyRequest> {
  return requestStep(
    db,
    actor,
    input,
    async (tx, request) => {
      if (request.status !== "identity_pending") throw new ConflictError("The requester's identity is not pending on this request.");
      const regime = request.regime as Regime;
      const clockStartsAt = clockStartFor(regime, { receivedAt: request.receivedAt, identityConfirmedAt: now });
      const restarted = clockStartsAt.getTime() !== request.clockStartedAt.getTime();
      const due = restarted ? deadlineFor({ rulePacks: [regime], type: request.type, clockStartsAt, receivedAt: request.receivedAt }).dueAt : null;
      if (request.type === "restriction") await applyRestriction(tx, actor, request, now);
      return {
        action: "identity_confirmed",
        set: {
          status: "open",
          identityConfirmedAt: now,
          identityConfirmedBy: actor.type === "staff" ? actor.id : null,
          identityMethod: input.method,
          ...(due ? { clockStartedAt: clockStartsAt, dueAt: due, originalDueAt: due } : {}),
        },
        reason: input.method,
        after: { clockRestarted: restarted },
      };
    },
    now,
  );
}

export async function startWork(db: Db, actor: Actor, input: z.output<typeof startWorkSchema>, now = new Date()): Promise<PrivacyRequest> {
  return requestStep(
    db,
    actor,
    input,
    async (_tx, request) => {
      if (request.status !== "open") throw new ConflictError(request.status === "identity_pending" ? "Confirm the requester's identity first." : `This request is ${request.status}.`);
      return { action: "started", set: { status: "in_progress", assignedTo: request.assignedTo ?? (actor.type === "staff" ? actor.id : null) } };
    },
    now,
  );
}

/** B2, D2, H4: once, before the original due date, with a reason the customer is sent. */
export async function extendRequest(db: Db, actor: Actor, input: z.output<typeof extendSchema>, now = new Date()): Promise<PrivacyRequest> {
  return requestStep(
    db,
    actor,
    input,
    async (tx, request) => {
      const allowed = extensionCheck(request, now);
      if (!allowed.ok) throw ValidationError.field("reason", allowed.reason);
      const deadline = deadlineFor({ rulePacks: [request.regime], type: request.type, clockStartsAt: request.clockStartedAt, receivedAt: request.receivedAt });
      const newDue = deadline.extendedDueAt!;
      const told = await tellCustomer(tx, request, "privacy_request.extended", extensionNotice(await tenantName(tx, request.tenantId), request.type, input.reason, newDue, request.regime as Regime), now);
      return { action: "extended", set: { dueAt: newDue, extendedAt: now, extensionReason: input.reason }, reason: input.reason, after: { customerTold: told } };
    },
    now,
  );
}

/** B5: refused as manifestly unfounded or excessive, with the justification and a response naming the right to complain. */
export async function rejectRequest(db: Db, actor: Actor, input: z.output<typeof rejectSchema>, now = new Date()): Promise<PrivacyRequest> {
  return requestStep(
    db,
    actor,
    input,
    async (tx, request) => {
      mustBeActive(request);
      const response = rejectionResponse(await tenantName(tx, request.tenantId), request.type, input.ground, input.reason, request.regime as Regime);
      const told = await tellCustomer(tx, request, "privacy_request.rejected", response, now);
      return {
        action: "rejected",
        set: { status: "rejected", rejectionReason: `${input.ground}: ${input.reason}`, rejectionResponse: response.body, resolution: `Refused as ${input.ground.replace("_", " ")}`, completedAt: now, completedBy: actor.type === "staff" ? actor.id : null },
        reason: input.reason,
        after: { ground: input.ground, customerTold: told },
      };
    },
    now,
  );
}

/**
 * Closes a request whose work is done outside a dedicated step (a rectification made in the profile,
 * a restriction in place), telling the customer what was done. Access, portability and erasure close
 * through their own steps: releasing the package, carrying out the erasure.
 */
export async function completeRequest(db: Db, actor: Actor, input: z.output<typeof completeSchema>, now = new Date()): Promise<PrivacyRequest> {
  return requestStep(
    db,
    actor,
    input,
    async (tx, request) => {
      mustBeActive(request);
      if (request.status === "identity_pending") throw new ConflictError("Confirm the requester's identity first.");
      if (["access", "portability"].includes(request.type)) throw new ConflictError("An access or portability request is completed by releasing its package.");
      if (request.type === "erasure") throw new ConflictError("An erasure request is completed by carrying out the erasure.");
      const told = await tellCustomer(tx, request, "privacy_request.completed", requestCompleted(await tenantName(tx, request.tenantId), request.type, input.resolution), now);
      return { action: "completed", set: { status: "completed", resolution: input.resolution, completedAt: now, completedBy: actor.type === "staff" ? actor.id : null }, reason: input.resolution, after: { customerTold: told } };
    },
    now,
  );
}
