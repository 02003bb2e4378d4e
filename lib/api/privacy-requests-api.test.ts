import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET } from "@/app/api/v1/privacy-requests/[id]/route";
import { POST } from "@/app/api/v1/privacy-requests/route";
import { queryRows, useConnection } from "@/db/client";
import { customers, outboxMessages, privacyRequests } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor } from "@/lib/actor";
import { createApiKey } from "@/lib/api-keys/api-keys";
import { checkConsent } from "@/lib/consent/check";

const ACME = "demo-acme-api-key";
const GLOBEX = "demo-globex-api-key";
const NO_REQUESTS_SCOPE = "test-acme-customers-only-key";
const noParams = { params: Promise.resolve({}) };

function post(body: unknown, key: string | null = ACME, idempotencyKey?: string) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key) headers.authorization = `Bearer ${key}`;
  if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
  return POST(new Request("http://localhost/api/v1/privacy-requests", { method: "POST", headers, body: JSON.stringify(body) }), noParams);
}

/**
 * Runs `call` as if the server's clock read `iso`: a request dated in 2026 stays within the year the
 * API accepts, whenever the suite runs. Only Date is faked; timers run as usual.
 */
async function asOf<T>(iso: string, call: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ["Date"], now: new Date(iso) });
  try {
    return await call();
  } finally {
    vi.useRealTimers();
  }
}

function get(id: string, key: string | null = ACME) {
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  return GET(new Request(`http://localhost/api/v1/privacy-requests/${encodeURIComponent(id)}`, { headers }), { params: Promise.resolve({ id }) });
}

describe("/api/v1/privacy-requests", () => {
  let t: TestDatabase;
  let acmeId: string;
  let globexId: string;

  const requestsOf = async (tenantId: string, ref: string) => {
    const [customer] = await t.db.select().from(customers).where(and(eq(customers.tenantId, tenantId), eq(customers.ref, ref)));
    return t.db.select().from(privacyRequests).where(and(eq(privacyRequests.tenantId, tenantId), eq(privacyRequests.customerId, customer!.id)));
  };

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    useConnection(t.connection);
    acmeId = await tenantIdByKey(t.db, "acme");
    globexId = await tenantIdByKey(t.db, "globex");
    await createApiKey(t.db, systemActor("test"), { tenantId: acmeId, name: "CRM without requests", scopes: ["customers:read", "customers:write"] }, NO_REQUESTS_SCOPE);
  });
  afterAll(() => t?.close());

  it("logs an acme (UK GDPR) request: 201 with its due date one calendar month later, at the end of that day in London", async () => {
    const response = await asOf("2026-03-02T09:00:00Z", () => post({ customer: "ACME-0001", type: "access", channel: "web", receivedAt: "2026-03-01T12:00:00Z" }));
    expect(response.status).toBe(201);
    const body = await response.json();
    expect(body).toMatchObject({ type: "access", status: "identity_pending", receivedAt: "2026-03-01T12:00:00.000Z", dueAt: "2026-04-01T22:59:59.999Z" });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    // The API.md fields, exactly, whatever else the answer carries.
    expect(Object.keys(body)).toEqual(expect.arrayContaining(["id", "type", "status", "receivedAt", "dueAt"]));
    const [stored] = await requestsOf(acmeId, "ACME-0001");
    expect(stored).toMatchObject({ id: body.id, channel: "web", regime: "uk_gdpr", verificationLevel: "none", interactionId: null });
    expect(stored!.identityPendingReason).toContain("web");

    const read = await get(body.id);
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual(body);
  });

  it("logs a globex (CCPA) request due 45 calendar days later, at the end of 15 April in Los Angeles", async () => {
    const response = await asOf("2026-03-02T09:00:00Z", () => post({ customer: "GLX-0001", type: "access", channel: "email", receivedAt: "2026-03-01T12:00:00Z" }, GLOBEX));
    expect(response.status).toBe(201);
    const body = await response.json();
    expect(body).toMatchObject({ type: "access", status: "identity_pending", receivedAt: "2026-03-01T12:00:00.000Z", dueAt: "2026-04-16T06:59:59.999Z" });
    // D1: receipt confirmed within 10 business days, and the customer told the date in California's calendar.
    expect(body.acknowledgeBy).toBe("2026-03-14T06:59:59.999Z"); // Friday 13 March, Pacific daylight time
    const [ack] = await t.db.select().from(outboxMessages).where(and(eq(outboxMessages.tenantId, globexId), eq(outboxMessages.template, "privacy_request.received"), eq(outboxMessages.recipient, "john.miller@example.com")));
    expect(ack!.body).toContain("We will respond by 15 April 2026");
    expect(ack!.body).toContain("on 1 March 2026");
  });

  it("defaults receivedAt to now", async () => {
    const before = Date.now();
    const body = await (await post({ customer: "ACME-0002", type: "rectification", channel: "email" })).json();
    expect(new Date(body.receivedAt).getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(new Date(body.receivedAt).getTime()).toBeLessThanOrEqual(Date.now());
  });

  it("lists every invalid field in problem+json, a time in the future with them", async () => {
    const response = await post({ type: "forget_me", channel: "fax", receivedAt: "yesterday" });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = await response.json();
    expect(problem.errors.map((e: { path: string }) => e.path).sort()).toEqual(["channel", "customer", "receivedAt", "type"]);
    expect(problem.errors).toContainEqual({ path: "customer", message: "is required" });
    expect(problem.errors).toContainEqual({ path: "receivedAt", message: "must be an ISO 8601 time with offset" });
    expect(problem.errors.find((e: { path: string }) => e.path === "type").message).toContain("opt_out_sale_share");

    const future = await post({ customer: "ACME-0003", type: "erasure", channel: "api", receivedAt: "2099-01-01T00:00:00Z" });
    expect(future.status).toBe(400);
    expect((await future.json()).errors).toEqual([{ path: "receivedAt", message: "may not be in the future" }]);
    const both = await (await post({ customer: "ACME-0003", type: "erase", channel: "api", receivedAt: "2099-01-01T00:00:00Z" })).json();
    expect(both.errors.map((e: { path: string }) => e.path).sort()).toEqual(["receivedAt", "type"]);

    // Not more than a year back (a date typed wrong, or a stale import), and a clock a few minutes fast is taken as now.
    const ancient = await post({ customer: "ACME-0003", type: "erasure", channel: "api", receivedAt: "1970-01-01T00:00:00Z" });
    expect(ancient.status).toBe(400);
    expect((await ancient.json()).errors).toEqual([{ path: "receivedAt", message: "may not be more than a year ago" }]);
    const tooFarAhead = await post({ customer: "ACME-0003", type: "erasure", channel: "api", receivedAt: new Date(Date.now() + 10 * 60_000).toISOString() });
    expect((await tooFarAhead.json()).errors).toEqual([{ path: "receivedAt", message: "may not be in the future" }]);

    const notAnObject = await post(["ACME-0003"]);
    expect(notAnObject.status).toBe(400);
    expect(await requestsOf(acmeId, "ACME-0003")).toEqual([]);
  });

  it("takes a receivedAt a minute ahead (the sender's clock) as now, and one 364 days back as given", async () => {
    const before = Date.now();
    const ahead = await (await post({ customer: "ACME-0009", type: "access", channel: "web", receivedAt: new Date(before + 60_000).toISOString() })).json();
    expect(new Date(ahead.receivedAt).getTime()).toBeGreaterThanOrEqual(before);
    expect(new Date(ahead.receivedAt).getTime()).toBeLessThanOrEqual(Date.now());
    const lateImport = new Date(before - 364 * 86_400_000).toISOString();
    const old = await post({ customer: "ACME-0009", type: "rectification", channel: "post", receivedAt: lateImport });
    expect(old.status).toBe(201);
    expect((await old.json()).receivedAt).toBe(lateImport);
  });

  it("answers 404 for an unknown customer, and for another tenant's customer", async () => {
    const unknown = await post({ customer: "ACME-9999", type: "access", channel: "web" });
    expect(unknown.status).toBe(404);
    const theirs = await post({ customer: "GLX-0002", type: "access", channel: "web" }, ACME);
    expect(theirs.status).toBe(404);
    expect(await requestsOf(globexId, "GLX-0002")).toEqual([]);
  });

  it("answers 409 for a second open request of the same type, and for an erased customer", async () => {
    expect((await post({ customer: "ACME-0004", type: "erasure", channel: "email" })).status).toBe(201);
    const again = await post({ customer: "ACME-0004", type: "erasure", channel: "web" });
    expect(again.status).toBe(409);
    expect((await again.json()).detail).toContain("already has an open erasure request");
    expect((await post({ customer: "ACME-0004", type: "access", channel: "web" })).status).toBe(201);
    expect(await requestsOf(acmeId, "ACME-0004")).toHaveLength(2);

    // The date is the one the customer was given: a CCPA request received 1 March is due 15 April in California (16 April in UTC).
    expect((await asOf("2026-03-02T09:00:00Z", () => post({ customer: "GLX-0004", type: "access", channel: "web", receivedAt: "2026-03-01T12:00:00Z" }, GLOBEX))).status).toBe(201);
    const ccpaAgain = await post({ customer: "GLX-0004", type: "access", channel: "email" }, GLOBEX);
    expect(ccpaAgain.status).toBe(409);
    expect((await ccpaAgain.json()).detail).toContain("(due 15 April 2026)");

    await t.db.update(customers).set({ status: "erased" }).where(and(eq(customers.tenantId, acmeId), eq(customers.ref, "ACME-0005")));
    const erased = await post({ customer: "ACME-0005", type: "access", channel: "web" });
    expect(erased.status).toBe(409);
    expect(await requestsOf(acmeId, "ACME-0005")).toEqual([]);
  });

  it("needs a key (401) with the requests:write scope (403), for writing and reading", async () => {
    const body = { customer: "ACME-0006", type: "access", channel: "web" };
    expect((await post(body, null)).status).toBe(401);
    expect((await post(body, "not-a-key")).status).toBe(401);
    expect((await post(body, NO_REQUESTS_SCOPE)).status).toBe(403);
    expect(await requestsOf(acmeId, "ACME-0006")).toEqual([]);

    const created = await (await post(body)).json();
    expect((await get(created.id, null)).status).toBe(401);
    expect((await get(created.id, NO_REQUESTS_SCOPE)).status).toBe(403);
    expect((await get(created.id)).status).toBe(200);
  });

  it("never shows one tenant's request to another: 404, as for an id that does not exist", async () => {
    const acmeRequest = await (await post({ customer: "ACME-0007", type: "restriction", channel: "post" })).json();
    const fromGlobex = await get(acmeRequest.id, GLOBEX);
    expect(fromGlobex.status).toBe(404);
    const missing = await get("00000000-0000-4000-8000-000000000000", GLOBEX);
    expect(missing.status).toBe(404);
    expect(await fromGlobex.json()).toMatchObject({ status: 404, detail: (await missing.json()).detail });
    expect((await get("not-a-uuid")).status).toBe(404);
  });

  it("writes once per Idempotency-Key: the replay answers the same id and writes nothing new", async () => {
    const body = { customer: "ACME-0008", type: "portability", channel: "web", receivedAt: "2026-11-20T09:00:00Z" };
    const count = async () => {
      const [row] = await queryRows<{ requests: string | number; messages: string | number; audits: string | number }>(
        t.db,
        sql`select (select count(*) from privacy_requests) as requests, (select count(*) from outbox_messages) as messages, (select count(*) from audit_events) as audits`,
      );
      return { requests: Number(row!.requests), messages: Number(row!.messages), audits: Number(row!.audits) };
    };
    const first = await asOf("2026-11-21T09:00:00Z", () => post(body, ACME, "crm-dsar-77"));
    expect(first.status).toBe(201);
    const created = await first.json();
    const after = await count();
    const replay = await asOf("2026-11-21T09:00:00Z", () => post(body, ACME, "crm-dsar-77"));
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect((await replay.json()).id).toBe(created.id);
    expect(await count()).toEqual(after);
    expect(await requestsOf(acmeId, "ACME-0008")).toHaveLength(1);
    expect((await asOf("2026-11-21T09:00:00Z", () => post({ ...body, type: "access" }, ACME, "crm-dsar-77"))).status).toBe(409);
  });

  it("carries out an opt-out of sale or sharing at once: completed, and the check answers refused", async () => {
    const response = await post({ customer: "GLX-0003", type: "opt_out_sale_share", channel: "gpc" }, GLOBEX);
    expect(response.status).toBe(201);
    const body = await response.json();
    expect(body).toMatchObject({ type: "opt_out_sale_share", status: "completed" });
    expect(body.completedAt).not.toBeNull();
    expect((await (await get(body.id, GLOBEX)).json()).status).toBe("completed");
    for (const channel of ["email", "post", "in_app"] as const) {
      expect(await checkConsent(t.db, globexId, { customer: "GLX-0003", purpose: "sale_or_share", channel })).toMatchObject({ allowed: false, reason: "refused" });
    }
  });
});
