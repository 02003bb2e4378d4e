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
import { addCalendarDays, dayIn, endOfDayIn, type CalendarDay } from "./calendar";
import { DUE_SOON_DAYS, REGIMES, canExtend, deadlineFor, regimesFor, type Deadline, type DeadlineState, type Regime } from "./deadlines";
import { dayWords, extensionNotice, identityConfirmedNotice, rejectionResponse, requestCompleted } from "./messages";
import { ACTIVE_STATUSES, announce, isActive, requestDeadline } from "./requests";
import { applyRestriction, liftRestrictionOfRefusedRequest, restrictionPlacedBy } from "./restriction";

const reasonText = (what: string) => z.string(`Write ${what}`).trim().min(10, `Write ${what} (at least 10 characters)`).max(2000, "At most 2,000 characters").superRefine(refuseCardData);

const target = { requestId: z.uuid("Unknown request"), version: z.coerce.number("Reload the page").int().positive() };

export const assignSchema = z.object({ ...target, assigneeId: z.preprocess((v) => (v === "" ? null : v), z.uuid("Choose a person").nullable()) });
export const confirmIdentitySchema = z.object({
  ...target,
  method: reasonText("how the identity was confirmed"),
  /** The day the identity information arrived (B3: the UK clock runs from it); today when not given. */
  identityReceivedOn: z.preprocess((v) => (v === "" || v === null ? undefined : v), z.iso.date("Give the day the identity information arrived as a date").optional()),
});
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
  deadline: DeadlineState;
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

/** The most rows the queue page lists; `privacyRequestQueueCounts` says how many there are in all. */
export const QUEUE_LIMIT = 500;

const statusesOf = (filter: z.output<typeof queueFilterSchema>): PrivacyRequestStatus[] =>
  filter.status === "all" ? [...privacyRequestStatus.enumValues] : filter.status === "active" ? [...ACTIVE_STATUSES] : [filter.status];

/**
 * The supervisors' queue: every request of their tenants, the most urgent first (by due date), with
 * overdue and due-soon flagged. Closed requests are shown only when asked for. At most `limit` rows.
 */
export async function privacyRequestQueue(db: Db, actor: Actor, filter: z.output<typeof queueFilterSchema> = { status: "active" }, now = new Date(), limit = QUEUE_LIMIT): Promise<QueueItem[]> {
  assertRole(actor, "supervisor", "admin");
  const scope = tenantScope(actor);
  if (scope && scope.length === 0) return [];
  const statuses = statusesOf(filter);
  const rows = await db
    .select({ r: privacyRequests, customerName: customers.name, customerRef: customers.ref, assigneeName: staffUsers.name })
    .from(privacyRequests)
    .innerJoin(customers, and(eq(customers.tenantId, privacyRequests.tenantId), eq(customers.id, privacyRequests.customerId)))
    .leftJoin(staffUsers, eq(staffUsers.id, privacyRequests.assignedTo))
    .where(and(scope ? inArray(privacyRequests.tenantId, scope) : undefined, inArray(privacyRequests.status, statuses)))
    .orderBy(asc(privacyRequests.dueAt), asc(privacyRequests.id))
    .limit(limit);
  return rows.map(({ r, customerName, customerRef, assigneeName }) => ({
    id: r.id,
    type: r.type,
    status: r.status,
    regime: r.regime,
    receivedAt: r.receivedAt,
    dueAt: r.dueAt,
    extended: r.extendedAt !== null,
    deadline: requestDeadline(r, now),
    customerId: r.customerId,
    customerName,
    customerRef,
    tenantId: r.tenantId,
    assigneeName,
    acknowledgeBy: r.acknowledgeBy,
    acknowledgedAt: r.acknowledgedAt,
  }));
}

export type QueueCounts = { total: number; overdue: number; dueSoon: number };

/**
 * How many requests the filter matches, and how many of the active ones are overdue or due within
 * `DUE_SOON_DAYS`: counted in the database over every row, not over the page's list.
 */
export async function privacyRequestQueueCounts(db: Db, actor: Actor, filter: z.output<typeof queueFilterSchema> = { status: "active" }, now = new Date()): Promise<QueueCounts> {
  assertRole(actor, "supervisor", "admin");
  const scope = tenantScope(actor);
  if (scope && scope.length === 0) return { total: 0, overdue: 0, dueSoon: 0 };
  const active = inArray(privacyRequests.status, [...ACTIVE_STATUSES]);
  const at = sql`${now.toISOString()}::timestamptz`;
  const soon = sql`${new Date(now.getTime() + DUE_SOON_DAYS * 86_400_000).toISOString()}::timestamptz`;
  const [row] = await db
    .select({
      total: sql<number>`count(*)::int`,
      overdue: sql<number>`(count(*) filter (where ${active} and ${privacyRequests.dueAt} < ${at}))::int`,
      dueSoon: sql<number>`(count(*) filter (where ${active} and ${privacyRequests.dueAt} >= ${at} and ${privacyRequests.dueAt} <= ${soon}))::int`,
    })
    .from(privacyRequests)
    .where(and(scope ? inArray(privacyRequests.tenantId, scope) : undefined, inArray(privacyRequests.status, statusesOf(filter))));
  return { total: Number(row?.total ?? 0), overdue: Number(row?.overdue ?? 0), dueSoon: Number(row?.dueSoon ?? 0) };
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
  deadline: DeadlineState;
  /** While identity is pending under a clock that waits for it (B3): the days the information may have arrived on, as that clock counts them. */
  identityDays: { receivedOn: CalendarDay; today: CalendarDay } | null;
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
  const { rulePacks } = await tenantRules(db, request.tenantId);
  const days = request.status === "identity_pending" && waitingRegimes(rulePacks, request).length > 0 ? identityDays(request, rulePacks, now) : null;
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
    extension: extensionCheck(request, rulePacks, now),
    identityDays: days && { receivedOn: days.receivedOn, today: days.today },
    deadline: requestDeadline(request, now),
  };
}

/** The regimes of the tenant's rule packs whose clock waits for the requester's identity (B3: the UK). */
const waitingRegimes = (rulePacks: readonly string[], request: Pick<PrivacyRequest, "type">) => regimesFor(rulePacks, request.type).filter((r) => REGIMES[r].clockWaitsForIdentity);

/**
 * The request's deadline by every regime of the tenant's rule packs (a UK GDPR and CCPA tenant keeps
 * the CCPA limit): the clocks that wait for identity (B3) run from the day it arrived, stored as
 * `clockStartedAt` when later than receipt; the others from receipt (D2).
 */
function currentDeadline(request: PrivacyRequest, rulePacks: readonly string[]): Deadline {
  const identityArrivedAt = request.clockStartedAt > request.receivedAt ? request.clockStartedAt : null;
  return deadlineFor({ rulePacks, type: request.type, clockStartsAt: request.receivedAt, receivedAt: request.receivedAt, identityConfirmedAt: identityArrivedAt });
}

function extensionCheck(request: PrivacyRequest, rulePacks: readonly string[], now: Date): ReturnType<typeof canExtend> {
  if (!isActive(request.status)) return { ok: false, reason: "The request is closed." };
  const [waiting] = waitingRegimes(rulePacks, request);
  if (request.status === "identity_pending" && waiting) {
    // Extended now, the date would be lost when the clock starts on confirmation.
    return {
      ok: false,
      reason: `The clock has not started yet: under ${REGIMES[waiting].label} the time to respond runs from the day the requester's identity information arrives. Confirm their identity first; an extension can then be decided before the due date that follows.`,
    };
  }
  const deadline = currentDeadline(request, rulePacks);
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
      before: { status: request.status, dueAt: request.dueAt.toISOString(), assignedTo: request.assignedTo },
      after: { status: updated!.status, dueAt: updated!.dueAt.toISOString(), assignedTo: updated!.assignedTo, ...change.after },
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

/**
 * A step whose message the law requires the customer to receive (an extension's reason and date,
 * a refusal's reasons and complaint route) is refused when there is no email or phone to send it to,
 * as lifting a restriction is: `refusal` says what stays as it is. Returns the channel used.
 */
async function mustTell(tx: Db, request: PrivacyRequest, template: string, message: { subject: string; body: string }, now: Date, refusal: string): Promise<string> {
  const contact = await customerContact(tx, request.tenantId, request.customerId);
  if (!contact?.route) throw new ConflictError(refusal);
  await enqueueMessage(tx, { tenantId: request.tenantId, channel: contact.route.channel, template, recipient: contact.route.to, ...message, customerId: request.customerId }, now);
  return contact.route.channel;
}

export const tenantName = async (tx: Db, tenantId: string) => (await tenantRules(tx, tenantId)).name;
const tenantRules = async (tx: Db, tenantId: string) => (await tx.select({ name: tenants.name, rulePacks: tenants.rulePacks }).from(tenants).where(eq(tenants.id, tenantId)))[0]!;

/** The day of receipt and today, where the clock waiting for identity counts them (London for the UK), else by the request's rule. */
function identityDays(request: PrivacyRequest, rulePacks: readonly string[], now: Date) {
  const regime = waitingRegimes(rulePacks, request)[0] ?? (request.regime as Regime);
  const zone = REGIMES[regime].timeZone;
  return { regime, zone, receivedOn: dayIn(request.receivedAt, zone), today: dayIn(now, zone) };
}

/** Noon of `day` in `timeZone`: the same calendar day in every regime's zone, for an instant that stands for the day. */
const middayOf = (day: CalendarDay, timeZone: string) => new Date(endOfDayIn(addCalendarDays(day, -1), timeZone).getTime() + 1 + 12 * 3_600_000);

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
 * The requester's identity is confirmed against what we hold (B4, D8), with the day the identity
 * information arrived (today unless given; not before the request was received, nor after today).
 * Under UK GDPR the month runs from that day rather than from receipt (B3), and the customer is sent
 * the new date; under the other regimes the clock keeps running from receipt (D2). A restriction
 * takes effect at this point.
 */
export async function confirmIdentity(db: Db, actor: Actor, input: z.output<typeof confirmIdentitySchema>, now = new Date()): Promise<PrivacyRequest> {
  return requestStep(
    db,
    actor,
    input,
    async (tx, request) => {
      if (request.status !== "identity_pending") throw new ConflictError("The requester's identity is not pending on this request.");
      const tenant = await tenantRules(tx, request.tenantId);
      const waiting = waitingRegimes(tenant.rulePacks, request);
      const { regime: dayRegime, zone, receivedOn, today } = identityDays(request, tenant.rulePacks, now);
      const arrivedOn = input.identityReceivedOn ?? today;
      if (arrivedOn < receivedOn) throw ValidationError.field("identityReceivedOn", `The identity information cannot have arrived before the request was received (${dayWords(request.receivedAt, dayRegime)}).`);
      if (arrivedOn > today) throw ValidationError.field("identityReceivedOn", `Give a day no later than today (${dayWords(now, dayRegime)}).`);

      const restarted = waiting.length > 0 && arrivedOn > receivedOn;
      let clock: Partial<typeof privacyRequests.$inferInsert> = {};
      let newDateSent = false;
      if (restarted) {
        const clockStartedAt = middayOf(arrivedOn, zone);
        const deadline = deadlineFor({ rulePacks: tenant.rulePacks, type: request.type, clockStartsAt: request.receivedAt, receivedAt: request.receivedAt, identityConfirmedAt: clockStartedAt });
        // A request extended while pending (recorded before extensions waited for the clock) keeps its extension, from the new start.
        const dueAt = request.extendedAt ? (deadline.extendedDueAt ?? deadline.dueAt) : deadline.dueAt;
        clock = { clockStartedAt, regime: deadline.regime, dueAt, originalDueAt: deadline.dueAt };
        if (dueAt.getTime() !== request.dueAt.getTime()) {
          const notice = identityConfirmedNotice(tenant.name, request.type, clockStartedAt, dueAt, deadline.regime);
          newDateSent = await tellCustomer(tx, request, "privacy_request.identity_confirmed", notice, now);
        }
      }
      if (request.type === "restriction") await applyRestriction(tx, actor, request, now);
      return {
        action: "identity_confirmed",
        set: { status: "open", identityConfirmedAt: now, identityConfirmedBy: actor.type === "staff" ? actor.id : null, identityMethod: input.method, ...clock },
        reason: "identity method recorded on the request",
        after: { identityReceivedOn: arrivedOn, clockRestarted: restarted, newDateSentToCustomer: newDateSent },
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

/**
 * B2, D2, H4: once, before the original due date, with a reason the customer is sent. Not while a
 * clock that waits for identity has not started (B3), and not when the customer cannot be told.
 */
export async function extendRequest(db: Db, actor: Actor, input: z.output<typeof extendSchema>, now = new Date()): Promise<PrivacyRequest> {
  return requestStep(
    db,
    actor,
    input,
    async (tx, request) => {
      const tenant = await tenantRules(tx, request.tenantId);
      const allowed = extensionCheck(request, tenant.rulePacks, now);
      if (!allowed.ok) throw ValidationError.field("reason", allowed.reason);
      const newDue = currentDeadline(request, tenant.rulePacks).extendedDueAt!;
      const told = await mustTell(
        tx,
        request,
        "privacy_request.extended",
        extensionNotice(tenant.name, request.type, input.reason, newDue, request.regime as Regime),
        now,
        "The customer must be told why more time is needed and the new date, and there is no email or phone on file: the deadline stays as it is. Add a contact point to their record first.",
      );
      return { action: "extended", set: { dueAt: newDue, extendedAt: now, extensionReason: input.reason }, reason: "extension reason recorded on the request and sent to the customer", after: { customerTold: told } };
    },
    now,
  );
}

/**
 * B5: refused as manifestly unfounded or excessive, with the justification and a response naming the
 * right to complain; refused itself when the customer cannot be sent it. A refused restriction request
 * lifts the restriction it placed, in the same transaction, and the response says so (B10).
 */
export async function rejectRequest(db: Db, actor: Actor, input: z.output<typeof rejectSchema>, now = new Date()): Promise<PrivacyRequest> {
  return requestStep(
    db,
    actor,
    input,
    async (tx, request) => {
      mustBeActive(request);
      const restricted = await restrictionPlacedBy(tx, request);
      const response = rejectionResponse(await tenantName(tx, request.tenantId), request.type, input.ground, input.reason, request.regime as Regime, { restrictionLifted: restricted !== null });
      const told = await mustTell(
        tx,
        request,
        "privacy_request.rejected",
        response,
        now,
        "The customer must be sent the reasons and their right to complain, and there is no email or phone on file: the request stays open. Add a contact point to their record first.",
      );
      if (restricted) await liftRestrictionOfRefusedRequest(tx, actor, restricted, request, told, now);
      return {
        action: "rejected",
        set: { status: "rejected", rejectionReason: `${input.ground}: ${input.reason}`, rejectionResponse: response.body, resolution: `Refused as ${input.ground.replace("_", " ")}`, completedAt: now, completedBy: actor.type === "staff" ? actor.id : null },
        reason: "refusal reason recorded on the request and sent to the customer",
        after: { ground: input.ground, customerTold: told, restrictionLifted: restricted !== null },
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
      return {
        action: "completed",
        set: { status: "completed", resolution: input.resolution, completedAt: now, completedBy: actor.type === "staff" ? actor.id : null },
        reason: told ? "resolution recorded on the request and sent to the customer" : "resolution recorded on the request (no email or phone on file to send it to)",
        after: { customerTold: told },
      };
    },
    now,
  );
}
