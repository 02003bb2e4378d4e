import { and, eq, like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, outboxMessages, privacyRequests, tenants, type PrivacyRequest } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { ApiKeyActor, StaffActor } from "@/lib/actor";
import { authenticateApiKey } from "@/lib/api-keys/api-keys";
import { putCustomer } from "@/lib/customers/customers";
import { ConflictError, ForbiddenError, ValidationError } from "@/lib/errors";
import { registerWebhookEndpoint } from "@/lib/webhooks/webhooks";
import { offlineTargets } from "@/db/testing/webhook-targets";
import {
  assignRequest,
  completeRequest,
  confirmIdentity,
  extendRequest,
  privacyRequestDetail,
  privacyRequestQueue,
  privacyRequestQueueCounts,
  rejectRequest,
  rejectSchema,
  startWork,
} from "./queue";
import { createPrivacyRequest } from "./requests";

const at = (iso: string) => new Date(iso);

describe("the supervisors' privacy-request queue", () => {
  let t: TestDatabase;
  let supervisor: StaffActor;
  let admin: StaffActor;
  let agent: StaffActor;
  let acmeKey: ApiKeyActor;
  let globexKey: ApiKeyActor;

  /** A request the tenant's systems received at `receivedAt`: identity_pending until a supervisor confirms it. */
  const received = (key: ApiKeyActor, customer: string, type: string, receivedAt: string) =>
    createPrivacyRequest(t.db, key, key.tenantId, { customer, type, channel: "web", receivedAt }, at(receivedAt));
  const current = async (r: PrivacyRequest) => (await t.db.select().from(privacyRequests).where(and(eq(privacyRequests.tenantId, r.tenantId), eq(privacyRequests.id, r.id))))[0]!;
  const messages = (r: PrivacyRequest, template: string) =>
    t.db.select().from(outboxMessages).where(and(eq(outboxMessages.tenantId, r.tenantId), eq(outboxMessages.customerId, r.customerId), eq(outboxMessages.template, template)));
  const auditsOf = (r: PrivacyRequest) => t.db.select().from(auditEvents).where(and(eq(auditEvents.entityType, "privacy_request"), eq(auditEvents.entityId, r.id))).orderBy(auditEvents.at);
  const announcements = async (r: PrivacyRequest) =>
    (await t.db.select().from(outboxMessages).where(and(eq(outboxMessages.channel, "webhook"), eq(outboxMessages.template, "privacy_request.updated"), like(outboxMessages.body, `%${r.id}%`))).orderBy(outboxMessages.createdAt)).map(
      (m) => JSON.parse(m.body!) as { type: string; tenant: string; data: { id: string; status: string; customer: string; dueAt: string } },
    );

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    supervisor = await signedInStaff(t.db, "supervisor@demo.test");
    admin = await signedInStaff(t.db, "admin@demo.test");
    agent = await signedInStaff(t.db, "agent@demo.test");
    acmeKey = (await authenticateApiKey(t.db, "demo-acme-api-key", null))!;
    globexKey = (await authenticateApiKey(t.db, "demo-globex-api-key", null))!;
    for (const tenant of ["acme", "globex"]) {
      await registerWebhookEndpoint(t.db, admin, { tenantId: await tenantIdByKey(t.db, tenant), url: `https://crm.${tenant}.test/attest`, description: "CRM", eventTypes: ["privacy_request.updated"] }, { targets: offlineTargets() });
    }
  });
  afterAll(() => t?.close());

  it("lists active requests by due date, flagging overdue and due soon; closed ones only when asked", async () => {
    const late = await received(acmeKey, "ACME-0001", "access", "2026-10-01T09:00:00Z"); // 1 Nov 2026 is a Sunday: Monday 2 Nov
    const soon = await received(globexKey, "GLX-0001", "access", "2026-10-20T12:00:00Z"); // 45 days: 4 Dec, Pacific standard time
    const later = await received(acmeKey, "ACME-0002", "rectification", "2026-11-25T09:00:00Z"); // 25 Dec, then the 26th–28th (weekend, Boxing Day's substitute): 29 Dec
    expect(late.dueAt.toISOString()).toBe("2026-11-02T23:59:59.999Z");
    expect(soon.dueAt.toISOString()).toBe("2026-12-05T07:59:59.999Z");
    expect(later.dueAt.toISOString()).toBe("2026-12-29T23:59:59.999Z");

    const now = at("2026-11-30T12:00:00Z");
    const queue = await privacyRequestQueue(t.db, supervisor, { status: "active" }, now);
    const mine = queue.filter((q) => [late.id, soon.id, later.id].includes(q.id));
    expect(mine.map((q) => [q.id, q.deadline])).toEqual([
      [late.id, "overdue"],
      [soon.id, "due_soon"],
      [later.id, "on_track"],
    ]);
    expect(mine[1]).toMatchObject({ customerRef: "GLX-0001", customerName: "John Miller", regime: "ccpa", status: "identity_pending", extended: false });
    const dues = queue.map((q) => q.dueAt.getTime());
    expect(dues).toEqual([...dues].sort((a, b) => a - b));

    // A cut list keeps its order, and the counts are of every request, not of the rows listed.
    const firstTwo = await privacyRequestQueue(t.db, supervisor, { status: "active" }, now, 2);
    expect(firstTwo.map((q) => q.id)).toEqual(queue.slice(0, 2).map((q) => q.id));
    expect(queue.length).toBeGreaterThan(2);
    expect(await privacyRequestQueueCounts(t.db, supervisor, { status: "active" }, now)).toEqual({
      total: queue.length,
      overdue: queue.filter((q) => q.deadline === "overdue").length,
      dueSoon: queue.filter((q) => q.deadline === "due_soon").length,
    });
    expect((await privacyRequestQueueCounts(t.db, supervisor, { status: "identity_pending" }, now)).total).toBe(queue.filter((q) => q.status === "identity_pending").length);

    const optOut = await createPrivacyRequest(t.db, globexKey, globexKey.tenantId, { customer: "GLX-0001", type: "opt_out_sale_share", channel: "gpc" }, now);
    expect(optOut.status).toBe("completed");
    expect((await privacyRequestQueue(t.db, supervisor, { status: "active" }, now)).map((q) => q.id)).not.toContain(optOut.id);
    expect((await privacyRequestQueue(t.db, supervisor, { status: "all" }, now)).find((q) => q.id === optOut.id)?.deadline).toBe("on_track");
  });

  it("assigns to a supervisor or admin of the brand, never to an agent", async () => {
    const r = await received(acmeKey, "ACME-0008", "access", "2026-11-01T09:00:00Z");
    const assigned = await assignRequest(t.db, supervisor, { requestId: r.id, version: r.version, assigneeId: admin.id });
    expect(assigned).toMatchObject({ assignedTo: admin.id, version: r.version + 1 });
    expect((await privacyRequestDetail(t.db, supervisor, r.id)).assigneeName).toBe("Ada Admin");
    const toAgent = await assignRequest(t.db, supervisor, { requestId: r.id, version: assigned.version, assigneeId: agent.id }).catch((e: unknown) => e);
    expect(toAgent).toBeInstanceOf(ValidationError);
    expect((toAgent as ValidationError).fieldErrors[0]!.path).toBe("assigneeId");
    const unassigned = await assignRequest(t.db, supervisor, { requestId: r.id, version: assigned.version, assigneeId: null });
    expect(unassigned.assignedTo).toBeNull();
    // Who held it before and after, in the audit of each step.
    const steps = (await auditsOf(r)).filter((e) => e.action !== "privacy_request.logged");
    const assignee = (values: unknown) => (values as { assignedTo?: string | null } | null)?.assignedTo;
    expect(steps.map((e) => [e.action, assignee(e.before), assignee(e.after)])).toEqual([
      ["privacy_request.assigned", null, admin.id],
      ["privacy_request.unassigned", admin.id, null],
    ]);
  });

  it("UK: no extension while the clock waits for identity; confirming restarts it from the day the identity information arrived (B3), and the customer is sent the new date; then one extension, to three months from the new start", async () => {
    const r = await received(acmeKey, "ACME-0003", "erasure", "2026-10-01T09:00:00Z");
    expect(r.dueAt.toISOString()).toBe("2026-11-02T23:59:59.999Z");

    // Extended now, the new date would be lost when the clock starts.
    const early = await extendRequest(t.db, supervisor, { requestId: r.id, version: r.version, reason: "Many records to gather." }, at("2026-10-05T09:00:00Z")).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(ValidationError);
    expect((early as ValidationError).fieldErrors[0]).toMatchObject({ path: "reason", message: expect.stringContaining("The clock has not started yet") });
    expect((await privacyRequestDetail(t.db, supervisor, r.id, at("2026-10-05T09:00:00Z"))).extension).toMatchObject({ ok: false, reason: expect.stringContaining("UK GDPR") });
    expect(await messages(r, "privacy_request.extended")).toEqual([]);

    // The day the identity information arrived: not before receipt, not after today; refused on that field.
    const method = "Code to the phone on file and date of birth matched";
    const detail = await privacyRequestDetail(t.db, supervisor, r.id, at("2026-10-20T09:00:00Z"));
    expect(detail.identityDays).toEqual({ receivedOn: "2026-10-01", today: "2026-10-20" });
    for (const [day, words] of [
      ["2026-09-30", "before the request was received (1 October 2026)"],
      ["2026-10-21", "no later than today (20 October 2026)"],
    ] as const) {
      const refused = await confirmIdentity(t.db, supervisor, { requestId: r.id, version: r.version, method, identityReceivedOn: day }, at("2026-10-20T09:00:00Z")).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ValidationError);
      expect((refused as ValidationError).fieldErrors).toEqual([{ path: "identityReceivedOn", message: expect.stringContaining(words) }]);
    }
    expect(await current(r)).toMatchObject({ status: "identity_pending", version: r.version });

    // The information arrived on the 9th; the supervisor got to it on the 20th: the month runs from the 9th, not from the click.
    const confirmed = await confirmIdentity(t.db, supervisor, { requestId: r.id, version: r.version, method, identityReceivedOn: "2026-10-09" }, at("2026-10-20T09:00:00Z"));
    expect(confirmed).toMatchObject({ status: "open", regime: "uk_gdpr", identityConfirmedBy: supervisor.id, identityMethod: method });
    expect(confirmed.identityConfirmedAt!.toISOString()).toBe("2026-10-20T09:00:00.000Z");
    expect(confirmed.clockStartedAt.toISOString()).toBe("2026-10-09T11:00:00.000Z"); // midday in London (BST)
    expect(confirmed.dueAt.toISOString()).toBe("2026-11-09T23:59:59.999Z");
    expect(confirmed.originalDueAt.toISOString()).toBe("2026-11-09T23:59:59.999Z");
    expect(confirmed.receivedAt.toISOString()).toBe("2026-10-01T09:00:00.000Z");
    const [newDate] = await messages(r, "privacy_request.identity_confirmed");
    expect(newDate).toMatchObject({ channel: "email", recipient: "siobhan.obrien@example.ie" });
    expect(newDate!.body).toContain("runs from 9 October 2026");
    expect(newDate!.body).toContain("we will respond by 9 November 2026");

    // After the first due date by receipt, but before the restarted one: still allowed. The reason has no full stop of its own.
    const reason = "Your records span three systems that must each be searched and checked";
    const extended = await extendRequest(t.db, supervisor, { requestId: r.id, version: confirmed.version, reason }, at("2026-11-05T10:00:00Z"));
    // 9 Jan 2027 is a Saturday: Monday 11 January.
    expect(extended.dueAt.toISOString()).toBe("2027-01-11T23:59:59.999Z");
    expect(extended).toMatchObject({ extensionReason: reason });
    expect(extended.originalDueAt.toISOString()).toBe("2026-11-09T23:59:59.999Z");
    const [notice] = await messages(r, "privacy_request.extended");
    expect(notice).toMatchObject({ channel: "email", recipient: "siobhan.obrien@example.ie" });
    expect(notice!.body).toContain(`The reason: ${reason}. We will respond by 11 January 2027.`);

    // What the supervisor typed stays on the request: the audit names what was written, and where.
    const audits = await auditsOf(r);
    expect(audits.map((e) => [e.action, e.reason])).toEqual([
      ["privacy_request.logged", r.identityPendingReason],
      ["privacy_request.identity_confirmed", "identity method recorded on the request"],
      ["privacy_request.extended", "extension reason recorded on the request and sent to the customer"],
    ]);
    expect(audits[1]!.after).toMatchObject({ identityReceivedOn: "2026-10-09", clockRestarted: true, newDateSentToCustomer: true });
    expect(JSON.stringify(audits)).not.toContain("date of birth matched");
    expect(JSON.stringify(audits)).not.toContain("three systems");

    const second = await extendRequest(t.db, supervisor, { requestId: r.id, version: extended.version, reason }, at("2026-11-06T10:00:00Z")).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(ValidationError);
    expect((second as ValidationError).fieldErrors[0]!.message).toContain("already been extended once");
    expect((await current(r)).dueAt.toISOString()).toBe("2027-01-11T23:59:59.999Z");
    expect(await messages(r, "privacy_request.extended")).toHaveLength(1);
    expect((await privacyRequestDetail(t.db, supervisor, r.id, at("2026-11-06T10:00:00Z"))).extension.ok).toBe(false);
  });

  it("a tenant under UK GDPR and the CCPA keeps the CCPA's limit from receipt when a late confirmation moves the UK month (and for the extension)", async () => {
    const acme = acmeKey.tenantId;
    await t.db.update(tenants).set({ rulePacks: ["uk_gdpr", "pecr", "ccpa"] }).where(eq(tenants.id, acme));
    try {
      const r = await received(acmeKey, "ACME-0007", "access", "2026-03-02T10:00:00Z");
      expect(r).toMatchObject({ regime: "uk_gdpr" });
      expect(r.dueAt.toISOString()).toBe("2026-04-02T22:59:59.999Z");
      const confirmed = await confirmIdentity(t.db, supervisor, { requestId: r.id, version: r.version, method: "The email came from the address on file", identityReceivedOn: "2026-03-25" }, at("2026-03-25T10:00:00Z"));
      // The UK month would now end on Monday 27 April; the CCPA's 45 days from receipt end on 16 April, in Los Angeles.
      expect(confirmed).toMatchObject({ regime: "ccpa" });
      expect(confirmed.dueAt.toISOString()).toBe("2026-04-17T06:59:59.999Z");
      expect((await messages(r, "privacy_request.identity_confirmed"))[0]!.body).toContain("we will respond by 16 April 2026");
      // Extended: the CCPA's 90 days (31 May) come before the UK's three months (25 June).
      const extended = await extendRequest(t.db, supervisor, { requestId: r.id, version: confirmed.version, reason: "Records in three systems must be searched." }, at("2026-04-10T10:00:00Z"));
      expect(extended.dueAt.toISOString()).toBe("2026-06-01T06:59:59.999Z");
    } finally {
      await t.db.update(tenants).set({ rulePacks: ["uk_gdpr", "pecr"] }).where(eq(tenants.id, acme));
    }
  });

  it("refuses an extension or a refusal the customer cannot be told of (no email or phone on file), changing nothing", async () => {
    await putCustomer(t.db, acmeKey, acmeKey.tenantId, "ACME-9003", { name: "Nora Nocontact" });
    const r = await createPrivacyRequest(t.db, acmeKey, acmeKey.tenantId, { customer: "ACME-9003", type: "access", channel: "post", receivedAt: "2026-11-02T09:00:00Z" }, at("2026-11-02T09:00:00Z"));
    const open = await confirmIdentity(t.db, supervisor, { requestId: r.id, version: r.version, method: "The signed letter matches the address on file" }, at("2026-11-02T15:00:00Z"));
    const extend = await extendRequest(t.db, supervisor, { requestId: r.id, version: open.version, reason: "Records in three systems must be searched." }, at("2026-11-10T09:00:00Z")).catch((e: unknown) => e);
    expect(extend).toBeInstanceOf(ConflictError);
    expect((extend as Error).message).toContain("no email or phone on file: the deadline stays as it is");
    const reject = await rejectRequest(t.db, supervisor, { requestId: r.id, version: open.version, ground: "excessive", reason: "The fifth identical request this month." }, at("2026-11-10T09:00:00Z")).catch((e: unknown) => e);
    expect(reject).toBeInstanceOf(ConflictError);
    expect((reject as Error).message).toContain("no email or phone on file: the request stays open");
    expect(await current(r)).toMatchObject({ status: "open", extendedAt: null, rejectionReason: null, version: open.version });
    expect(await t.db.select().from(outboxMessages).where(and(eq(outboxMessages.customerId, r.customerId), eq(outboxMessages.channel, "email")))).toEqual([]);
  });

  it("CCPA: confirming identity leaves the clock running from receipt (D2); one extension to 90 days", async () => {
    const r = await received(globexKey, "GLX-0002", "erasure", "2026-03-01T12:00:00Z");
    expect(r.dueAt.toISOString()).toBe("2026-04-16T06:59:59.999Z");
    // The CCPA clock runs while identity is pending, so an extension may be decided then.
    expect((await privacyRequestDetail(t.db, supervisor, r.id, at("2026-03-10T12:00:00Z"))).extension).toEqual({ ok: true });
    const confirmed = await confirmIdentity(t.db, supervisor, { requestId: r.id, version: r.version, method: "Three data points matched against the account" }, at("2026-03-20T17:00:00Z"));
    expect(confirmed.status).toBe("open");
    expect(confirmed.clockStartedAt.toISOString()).toBe("2026-03-01T12:00:00.000Z");
    expect(confirmed.dueAt.toISOString()).toBe("2026-04-16T06:59:59.999Z");

    const reason = "The request covers several years of call recordings that need review.";
    const extended = await extendRequest(t.db, admin, { requestId: r.id, version: confirmed.version, reason }, at("2026-04-10T12:00:00Z"));
    // 1 March + 90 days = 30 May, to the end of that day in Los Angeles (PDT).
    expect(extended.dueAt.toISOString()).toBe("2026-05-31T06:59:59.999Z");
    const [notice] = await messages(r, "privacy_request.extended");
    expect(notice!.recipient).toBe("mj.garcia@example.com");
    expect(notice!.body).toContain(reason);
    expect(notice!.body).toContain("We will respond by 30 May 2026");
  });

  it("refuses an extension after the original due date", async () => {
    const r = await received(acmeKey, "ACME-0004", "rectification", "2026-10-01T09:00:00Z");
    // Confirmed the day it arrived: the UK clock runs from receipt.
    const open = await confirmIdentity(t.db, supervisor, { requestId: r.id, version: r.version, method: "Code to the email on file matched" }, at("2026-10-01T15:00:00Z"));
    expect(open.dueAt).toEqual(r.dueAt);
    const late = await extendRequest(t.db, supervisor, { requestId: r.id, version: open.version, reason: "We needed more time to check the records." }, at("2026-11-03T00:00:01Z")).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(ValidationError);
    expect((late as ValidationError).fieldErrors[0]).toMatchObject({ path: "reason" });
    expect((late as ValidationError).fieldErrors[0]!.message).toContain("has passed");
    expect(await current(r)).toMatchObject({ extendedAt: null, version: open.version });
    expect(await messages(r, "privacy_request.extended")).toEqual([]);
  });

  it("rejects only with a justification, and sends a response naming the right to complain (ICO for acme) and a judicial remedy (B5)", async () => {
    const r = await received(acmeKey, "ACME-0005", "access", "2026-11-10T09:00:00Z");
    const noReason = rejectSchema.safeParse({ requestId: r.id, version: r.version, ground: "excessive" });
    expect(noReason.success).toBe(false);
    expect(noReason.error!.issues.map((i) => i.path.join("."))).toEqual(["reason"]);
    expect(rejectSchema.safeParse({ requestId: r.id, version: r.version, ground: "excessive", reason: "too many" }).success).toBe(false);
    expect(rejectSchema.safeParse({ requestId: r.id, version: r.version, ground: "because", reason: "The same request was answered in full last week." }).success).toBe(false);

    const reason = "The same request was answered in full last week, and nothing has changed since.";
    const rejected = await rejectRequest(t.db, supervisor, rejectSchema.parse({ requestId: r.id, version: r.version, ground: "excessive", reason }));
    expect(rejected).toMatchObject({ status: "rejected", rejectionReason: `excessive: ${reason}`, completedBy: supervisor.id });
    expect(rejected.rejectionResponse).toContain(reason);
    expect(rejected.rejectionResponse).toContain("the Information Commissioner's Office");
    expect(rejected.rejectionResponse).toContain("judicial remedy");
    const [sent] = await messages(r, "privacy_request.rejected");
    expect(sent).toMatchObject({ channel: "email", recipient: "gwen.llewellyn@example.cymru", body: rejected.rejectionResponse });

    await expect(rejectRequest(t.db, supervisor, { requestId: r.id, version: rejected.version, ground: "excessive", reason })).rejects.toBeInstanceOf(ConflictError);

    const ccpa = await received(globexKey, "GLX-0005", "access", "2026-11-10T09:00:00Z");
    const refused = await rejectRequest(t.db, supervisor, { requestId: ccpa.id, version: ccpa.version, ground: "manifestly_unfounded", reason: "The requester is not the account holder." });
    expect(refused.rejectionResponse).toContain("California Privacy Protection Agency");
  });

  it("completes a rectification once identity is confirmed; access and erasure close only through their own steps", async () => {
    const r = await received(acmeKey, "ACME-0009", "rectification", "2026-11-20T09:00:00Z");
    const resolution = "Your surname now reads Clarke-Jones on every record.";
    await expect(completeRequest(t.db, supervisor, { requestId: r.id, version: r.version, resolution })).rejects.toThrow("Confirm the requester's identity first.");
    const confirmed = await confirmIdentity(t.db, supervisor, { requestId: r.id, version: r.version, method: "Code to the email on file matched" });
    const done = await completeRequest(t.db, supervisor, { requestId: r.id, version: confirmed.version, resolution });
    expect(done).toMatchObject({ status: "completed", resolution, completedBy: supervisor.id });
    const [told] = await messages(r, "privacy_request.completed");
    expect(told!.recipient).toBe("emily.clarke@example.com");
    expect(told!.body).toContain(resolution);

    for (const [ref, type] of [
      ["ACME-0010", "access"],
      ["ACME-0011", "erasure"],
    ] as const) {
      const other = await received(acmeKey, ref, type, "2026-11-20T09:00:00Z");
      const open = await confirmIdentity(t.db, supervisor, { requestId: other.id, version: other.version, method: "Code to the email on file matched" });
      const refused = await completeRequest(t.db, supervisor, { requestId: other.id, version: open.version, resolution }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ConflictError);
      expect((refused as Error).message).toMatch(type === "access" ? /releasing its package/ : /carrying out the erasure/);
      expect((await current(other)).status).toBe("open");
    }
  });

  it("refuses a stale version (another supervisor changed it), changing nothing", async () => {
    const r = await received(acmeKey, "ACME-0012", "access", "2026-11-20T09:00:00Z");
    await assignRequest(t.db, admin, { requestId: r.id, version: r.version, assigneeId: admin.id });
    const stale = await assignRequest(t.db, supervisor, { requestId: r.id, version: r.version, assigneeId: supervisor.id }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ConflictError);
    expect((stale as Error).message).toContain("Someone else changed this request");
    expect(await current(r)).toMatchObject({ assignedTo: admin.id, version: r.version + 1 });
    await expect(confirmIdentity(t.db, supervisor, { requestId: r.id, version: r.version, method: "Code to the email on file matched" })).rejects.toBeInstanceOf(ConflictError);
    expect((await current(r)).status).toBe("identity_pending");
  });

  it("gives an agent ForbiddenError for every step and for the queue itself", async () => {
    const r = await received(globexKey, "GLX-0006", "rectification", "2026-11-20T09:00:00Z");
    const target = { requestId: r.id, version: r.version };
    const steps = [
      () => privacyRequestQueue(t.db, agent),
      () => privacyRequestDetail(t.db, agent, r.id),
      () => assignRequest(t.db, agent, { ...target, assigneeId: supervisor.id }),
      () => confirmIdentity(t.db, agent, { ...target, method: "Code to the email on file matched" }),
      () => startWork(t.db, agent, target),
      () => extendRequest(t.db, agent, { ...target, reason: "We need more time to find every record." }),
      () => rejectRequest(t.db, agent, { ...target, ground: "excessive", reason: "The same request was answered last week." }),
      () => completeRequest(t.db, agent, { ...target, resolution: "The address is corrected everywhere." }),
    ];
    for (const step of steps) await expect(step()).rejects.toBeInstanceOf(ForbiddenError);
    expect(await current(r)).toMatchObject({ status: "identity_pending", version: r.version, assignedTo: null, extendedAt: null });
  });

  it("announces privacy_request.updated to the tenant's endpoint on every step", async () => {
    const r = await received(globexKey, "GLX-0007", "restriction", "2026-11-20T09:00:00Z");
    // Each step a day after the last, so that the messages' times give their order.
    const assigned = await assignRequest(t.db, supervisor, { requestId: r.id, version: r.version, assigneeId: supervisor.id }, at("2026-11-21T09:00:00Z"));
    const confirmed = await confirmIdentity(t.db, supervisor, { requestId: r.id, version: assigned.version, method: "Code to the email on file matched" }, at("2026-11-22T09:00:00Z"));
    const started = await startWork(t.db, supervisor, { requestId: r.id, version: confirmed.version }, at("2026-11-23T09:00:00Z"));
    const extended = await extendRequest(t.db, supervisor, { requestId: r.id, version: started.version, reason: "Several systems hold copies that must all be restricted." }, at("2026-11-24T09:00:00Z"));
    await completeRequest(t.db, supervisor, { requestId: r.id, version: extended.version, resolution: "Your data is now only stored, not used." }, at("2026-11-25T09:00:00Z"));
    const sent = await announcements(r);
    expect(sent.map((s) => s.data.status)).toEqual(["identity_pending", "identity_pending", "open", "in_progress", "in_progress", "completed"]);
    expect(sent.every((s) => s.type === "privacy_request.updated" && s.tenant === "globex" && s.data.customer === "GLX-0007" && s.data.id === r.id)).toBe(true);
    expect(sent[4]!.data.dueAt).toBe(extended.dueAt.toISOString());
    // The words typed on the way (method, reason, resolution) are on the request, not in stored webhook bodies or the audit.
    expect(sent.every((s) => !("resolution" in s.data))).toBe(true);
    const trail = JSON.stringify([sent, await auditsOf(r)]);
    for (const typed of ["Code to the email on file matched", "Several systems hold copies", "only stored, not used"]) expect(trail).not.toContain(typed);
    expect((await current(r)).resolution).toBe("Your data is now only stored, not used.");

    const rejectedOne = await received(acmeKey, "ACME-0006", "access", "2026-11-20T09:00:00Z");
    await rejectRequest(t.db, supervisor, { requestId: rejectedOne.id, version: rejectedOne.version, ground: "manifestly_unfounded", reason: "The caller admitted it was a test of our systems." }, at("2026-11-21T09:00:00Z"));
    expect((await announcements(rejectedOne)).map((s) => [s.tenant, s.data.status])).toEqual([
      ["acme", "identity_pending"],
      ["acme", "rejected"],
    ]);
    const refusalAudit = (await auditsOf(rejectedOne)).find((e) => e.action === "privacy_request.rejected")!;
    expect(refusalAudit).toMatchObject({ reason: "refusal reason recorded on the request and sent to the customer", after: { ground: "manifestly_unfounded", customerTold: "email" } });
    expect(JSON.stringify(refusalAudit)).not.toContain("test of our systems");
  });
});
