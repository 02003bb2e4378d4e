import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as check } from "@/app/api/v1/consents/check/route";
import { POST as recordConsent } from "@/app/api/v1/consents/route";
import { GET as verify } from "@/app/api/v1/consents/verify/route";
import { GET as customerConsents } from "@/app/api/v1/customers/[ref]/consents/route";
import { GET as listPurposes } from "@/app/api/v1/purposes/route";
import { queryRows, useConnection } from "@/db/client";
import { tenantIdByKey } from "@/db/seed";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor } from "@/lib/actor";
import { createApiKey } from "@/lib/api-keys/api-keys";

const ACME = "demo-acme-api-key";
const GLOBEX = "demo-globex-api-key";
const noParams = { params: Promise.resolve({}) };

function get(path: string, key: string) {
  return new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${key}` } });
}
function post(body: unknown, key: string, idempotencyKey?: string) {
  return new Request("http://localhost/api/v1/consents", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}) },
    body: JSON.stringify(body),
  });
}

describe("consent API", () => {
  let t: TestDatabase;
  let webNotice: string;
  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    useConnection(t.connection);
    const purposes = await (await listPurposes(get("/api/v1/purposes", ACME), noParams)).json();
    webNotice = purposes.purposes.find((p: { key: string }) => p.key === "marketing").notices.find((n: { kind: string }) => n.kind === "web").id;
  });
  afterAll(() => t.close());

  it("lists the tenant's own purposes with their published notices", async () => {
    const acme = await (await listPurposes(get("/api/v1/purposes", ACME), noParams)).json();
    expect(acme.purposes.map((p: { key: string }) => p.key).sort()).toEqual(["marketing", "profiling", "third_party_sharing"]);
    const marketing = acme.purposes.find((p: { key: string }) => p.key === "marketing");
    expect(marketing).toMatchObject({ legalBasis: "consent", category: "marketing", channels: ["email", "sms", "phone", "post"] });
    expect(marketing.notices.map((n: { kind: string }) => n.kind).sort()).toEqual(["script", "web"]);
    expect(marketing.notices[0].text).toContain("Acme Energy");
    const globex = await (await listPurposes(get("/api/v1/purposes", GLOBEX), noParams)).json();
    expect(globex.purposes.map((p: { key: string }) => p.key)).toContain("sale_or_share");
  });

  it("records a grant (201, resulting status) and the check answers it; another tenant cannot see it", async () => {
    const response = await recordConsent(post({ customer: "ACME-0010", purpose: "marketing", channel: "email", action: "grant", method: "web", notice: webNotice, evidence: { ip: "203.0.113.5" } }, ACME), noParams);
    expect(response.status).toBe(201);
    const { event } = await response.json();
    expect(event).toMatchObject({ customer: "ACME-0010", purpose: "marketing", channel: "email", action: "grant", method: "web", status: "granted" });
    const answer = await (await check(get("/api/v1/consents/check?customer=ACME-0010&purpose=marketing&channel=email", ACME), noParams)).json();
    expect(answer).toMatchObject({ customer: "ACME-0010", allowed: true, reason: "granted", eventId: event.id, reviewDue: false });
    const fromGlobex = await (await check(get("/api/v1/consents/check?customer=ACME-0010&purpose=marketing&channel=email", GLOBEX), noParams)).json();
    expect(fromGlobex).toMatchObject({ allowed: false, reason: "unknown_customer", eventId: null });
  });

  it("answers a historical check with `at`", async () => {
    const answer = await (await check(get("/api/v1/consents/check?customer=ACME-0010&purpose=marketing&channel=email&at=2020-01-01T00:00:00Z", ACME), noParams)).json();
    expect(answer).toMatchObject({ allowed: false, reason: "no_record", at: "2020-01-01T00:00:00.000Z" });
  });

  it("lists every invalid field in problem+json, and refuses a bad check query", async () => {
    const response = await recordConsent(post({ customer: "ACME-0010", purpose: "markting", channel: "fax", action: "agree", method: "web" }, ACME), noParams);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const problem = await response.json();
    expect(problem.errors.map((e: { path: string }) => e.path).sort()).toEqual(["action", "channel", "purpose"]);
    expect(problem.errors).toContainEqual({ path: "purpose", message: "unknown purpose 'markting'" });
    const badCheck = await check(get("/api/v1/consents/check?customer=ACME-0010&purpose=marketing&channel=fax", ACME), noParams);
    expect(badCheck.status).toBe(400);
  });

  it("records once per Idempotency-Key: the same request replays, a different body is 409", async () => {
    const body = { customer: "ACME-0011", purpose: "marketing", channel: "post", action: "refuse", method: "written" };
    const first = await (await recordConsent(post(body, ACME, "form-submit-42"), noParams)).json();
    const again = await recordConsent(post(body, ACME, "form-submit-42"), noParams);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await again.json()).event.id).toBe(first.event.id);
    const [{ n }] = (await queryRows<{ n: number | string }>(t.db, sql`select count(*) as n from consent_events where id = ${first.event.id}`)) as [{ n: number | string }];
    expect(Number(n)).toBe(1);
    const [{ events }] = (await queryRows<{ events: number | string }>(
      t.db,
      sql`select count(*) as events from consent_events e join customers c on c.tenant_id = e.tenant_id and c.id = e.customer_id where c.ref = 'ACME-0011' and e.channel = 'post'`,
    )) as [{ events: number | string }];
    expect(Number(events)).toBe(1);
    const conflict = await recordConsent(post({ ...body, action: "withdraw" }, ACME, "form-submit-42"), noParams);
    expect(conflict.status).toBe(409);
  });

  it("shows a customer's current consents and full history, oldest first, to their own tenant only", async () => {
    await recordConsent(post({ customer: "ACME-0012", purpose: "marketing", channel: "sms", action: "grant", method: "web", notice: webNotice, occurredAt: "2026-01-01T09:00:00Z" }, ACME), noParams);
    await recordConsent(post({ customer: "ACME-0012", purpose: "marketing", channel: "sms", action: "withdraw", method: "web", occurredAt: "2026-01-02T09:00:00Z" }, ACME), noParams);
    const params = { params: Promise.resolve({ ref: "ACME-0012" }) };
    const body = await (await customerConsents(get("/api/v1/customers/ACME-0012/consents", ACME), params)).json();
    expect(body.current).toEqual([expect.objectContaining({ purpose: "marketing", channel: "sms", status: "withdrawn", since: "2026-01-02T09:00:00.000Z" })]);
    expect(body.history.map((e: { action: string }) => e.action)).toEqual(["grant", "withdraw"]);
    expect((await customerConsents(get("/api/v1/customers/ACME-0012/consents", GLOBEX), params)).status).toBe(404);
  });

  it("verifies the tenant's ledger (scope audit:read)", async () => {
    const body = await (await verify(get("/api/v1/consents/verify", ACME), noParams)).json();
    expect(body).toMatchObject({ ok: true });
    expect(body.events).toBeGreaterThanOrEqual(4);
    expect(body.customers).toBeGreaterThanOrEqual(3);
  });

  it("needs the consent scopes", async () => {
    const acme = await tenantIdByKey(t.db, "acme");
    const { key } = await createApiKey(t.db, systemActor("test"), { tenantId: acme, name: "CRM", scopes: ["customers:read"] });
    expect((await recordConsent(post({ customer: "ACME-0010" }, key), noParams)).status).toBe(403);
    expect((await check(get("/api/v1/consents/check?customer=ACME-0010&purpose=marketing&channel=email", key), noParams)).status).toBe(403);
    expect((await listPurposes(get("/api/v1/purposes", "nope"), noParams)).status).toBe(401);
    expect((await verify(get("/api/v1/consents/verify", key), noParams)).status).toBe(403);
  });
});
