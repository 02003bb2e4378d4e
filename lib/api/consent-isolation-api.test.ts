import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as receipt } from "@/app/api/v1/consents/[eventId]/receipt/route";
import { GET as check, POST as batchCheck } from "@/app/api/v1/consents/check/route";
import { POST as recordConsent } from "@/app/api/v1/consents/route";
import { GET as verify } from "@/app/api/v1/consents/verify/route";
import { GET as customerConsents } from "@/app/api/v1/customers/[ref]/consents/route";
import { GET as listPurposes } from "@/app/api/v1/purposes/route";
import { useConnection } from "@/db/client";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";

const ACME = "demo-acme-api-key";
const GLOBEX = "demo-globex-api-key";
const noParams = { params: Promise.resolve({}) };
const request = (path: string, key: string, body?: unknown) =>
  new Request(`http://localhost${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

/**
 * Consent never carries over between tenants (DESIGN.md "Tenant"): every consent endpoint, asked with
 * another tenant's key about Acme's customers and events, answers as if they did not exist.
 */
describe("tenant isolation of every consent endpoint", () => {
  let t: TestDatabase;
  let acmeEventId: string;
  let acmeGrant: Record<string, unknown>;

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    useConnection(t.connection);
    const purposes = await (await listPurposes(request("/api/v1/purposes", ACME), noParams)).json();
    const notice = purposes.purposes.find((p: { key: string }) => p.key === "marketing").notices.find((n: { kind: string }) => n.kind === "web").id;
    acmeGrant = { customer: "ACME-0011", purpose: "marketing", channel: "sms", action: "grant", method: "web", notice };
    const created = await recordConsent(request("/api/v1/consents", ACME, acmeGrant), noParams);
    expect(created.status).toBe(201);
    acmeEventId = (await created.json()).event.id;
  });
  afterAll(() => t.close());

  it("GET /purposes lists only the key's own tenant's purposes and notices", async () => {
    const acme = await (await listPurposes(request("/api/v1/purposes", ACME), noParams)).json();
    const globex = await (await listPurposes(request("/api/v1/purposes", GLOBEX), noParams)).json();
    const noticeIds = (body: { purposes: { notices: { id: string }[] }[] }) => new Set(body.purposes.flatMap((p) => p.notices.map((n) => n.id)));
    const acmeNotices = noticeIds(acme);
    expect([...noticeIds(globex)].some((id) => acmeNotices.has(id))).toBe(false);
    expect(globex.purposes.every((p: { notices: { text: string }[] }) => p.notices.every((n) => !n.text.includes("Acme Energy")))).toBe(true);
  });

  it("POST /consents cannot record for another tenant's customer, nor cite another tenant's notice", async () => {
    const forAcmeCustomer = await recordConsent(request("/api/v1/consents", GLOBEX, { ...acmeGrant, notice: undefined, action: "refuse" }), noParams);
    expect(forAcmeCustomer.status).toBe(404);
    const withAcmeNotice = await recordConsent(request("/api/v1/consents", GLOBEX, { ...acmeGrant, customer: "GLX-0008" }), noParams);
    expect(withAcmeNotice.status).toBe(400);
    expect((await withAcmeNotice.json()).errors).toContainEqual({ path: "notice", message: "no such notice version" });
  });

  it("single and batch checks answer unknown_customer for another tenant's customer", async () => {
    expect(await (await check(request("/api/v1/consents/check?customer=ACME-0011&purpose=marketing&channel=sms", ACME), noParams)).json()).toMatchObject({ allowed: true });
    const single = await (await check(request("/api/v1/consents/check?customer=ACME-0011&purpose=marketing&channel=sms", GLOBEX), noParams)).json();
    expect(single).toMatchObject({ allowed: false, reason: "unknown_customer", eventId: null });
    const batch = await batchCheck(request("/api/v1/consents/check", GLOBEX, { checks: [{ customer: "ACME-0011", purpose: "marketing", channel: "sms" }] }), noParams);
    expect((await batch.json()).results).toEqual([expect.objectContaining({ allowed: false, reason: "unknown_customer", eventId: null })]);
  });

  it("a customer's consents and an event's receipt are 404 to another tenant", async () => {
    expect((await customerConsents(request("/api/v1/customers/ACME-0011/consents", GLOBEX), { params: Promise.resolve({ ref: "ACME-0011" }) })).status).toBe(404);
    const params = { params: Promise.resolve({ eventId: acmeEventId }) };
    expect((await receipt(request(`/api/v1/consents/${acmeEventId}/receipt`, ACME), params)).status).toBe(200);
    expect((await receipt(request(`/api/v1/consents/${acmeEventId}/receipt`, GLOBEX), params)).status).toBe(404);
  });

  it("verify covers only the key's own tenant's ledger", async () => {
    const acme = await (await verify(request("/api/v1/consents/verify", ACME), noParams)).json();
    const globex = await (await verify(request("/api/v1/consents/verify", GLOBEX), noParams)).json();
    expect(acme.ok && globex.ok).toBe(true);
    const before = globex.events;
    await recordConsent(request("/api/v1/consents", ACME, { ...acmeGrant, customer: "ACME-0012" }), noParams);
    expect((await (await verify(request("/api/v1/consents/verify", GLOBEX), noParams)).json()).events).toBe(before);
    expect((await (await verify(request("/api/v1/consents/verify", ACME), noParams)).json()).events).toBe(acme.events + 1);
  });
});
