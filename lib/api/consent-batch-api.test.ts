import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as health } from "@/app/api/health/route";
import { GET as check, POST as batchCheck } from "@/app/api/v1/consents/check/route";
import { POST as recordConsent } from "@/app/api/v1/consents/route";
import { GET as listPurposes } from "@/app/api/v1/purposes/route";
import { useConnection } from "@/db/client";
import { tenantIdByKey } from "@/db/seed";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor } from "@/lib/actor";
import { apiKeys } from "@/db/schema";
import { createApiKey, hashApiKey, revokeApiKey, setApiKeyRateLimit } from "@/lib/api-keys/api-keys";

const ACME = "demo-acme-api-key";
const GLOBEX = "demo-globex-api-key";
const noParams = { params: Promise.resolve({}) };
const CHANNELS = ["email", "sms", "phone", "post"] as const;

type Check = { customer: string; purpose: string; channel: string };

function get(path: string, key: string) {
  return new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${key}` } });
}
function post(path: string, body: unknown, key: string) {
  return new Request(`http://localhost${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
const batch = (body: unknown, key = ACME) => batchCheck(post("/api/v1/consents/check", body, key), noParams);
const single = async (c: Check, key = ACME, at?: string) => {
  const query = new URLSearchParams({ ...c, ...(at ? { at } : {}) });
  return (await check(get(`/api/v1/consents/check?${query}`, key), noParams)).json();
};

describe("batch consent check API", () => {
  let t: TestDatabase;
  let webNotice: string;
  const record = async (body: Record<string, unknown>) => {
    const response = await recordConsent(post("/api/v1/consents", { method: "web", ...body, ...(body.action === "grant" ? { notice: webNotice } : {}) }, ACME), noParams);
    expect(response.status).toBe(201);
  };

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    useConnection(t.connection);
    // These tests look at answers, not limits (rate-limit-api.test.ts does): Acme's key may send its
    // batches back to back, however fast the machine answers them.
    const [acmeKey] = await t.db.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.keyHash, hashApiKey(ACME)));
    await setApiKeyRateLimit(t.db, systemActor("test"), { apiKeyId: acmeKey!.id, ratePerSecond: 100_000, rateBurst: 1_000_000 });
    const purposes = await (await listPurposes(get("/api/v1/purposes", ACME), noParams)).json();
    webNotice = purposes.purposes.find((p: { key: string }) => p.key === "marketing").notices.find((n: { kind: string }) => n.kind === "web").id;
    await record({ customer: "ACME-0010", purpose: "marketing", channel: "email", action: "grant", occurredAt: "2026-02-01T09:00:00Z" });
    await record({ customer: "ACME-0011", purpose: "marketing", channel: "sms", action: "grant", occurredAt: "2026-02-01T09:00:00Z" });
    await record({ customer: "ACME-0011", purpose: "marketing", channel: "sms", action: "withdraw", occurredAt: "2026-03-01T09:00:00Z" });
  });
  afterAll(() => t.close());

  it("answers 10,000 checks in order, each as the single check answers it (granted, withdrawn, no_record, unknown_customer), now and at a past time", async () => {
    const refs = ["ACME-0010", "ACME-0011", "ACME-0012", "ACME-0404", "GLX-0001"];
    const distinct: Check[] = refs.flatMap((customer) => CHANNELS.map((channel) => ({ customer, purpose: "marketing", channel })));
    const checks = Array.from({ length: 10_000 }, (_, i) => distinct[(i * 13) % distinct.length]!);
    for (const at of [undefined, "2026-02-15T00:00:00Z"]) {
      const response = await batch({ checks, ...(at ? { at } : {}) });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/json");
      const { results } = await response.json();
      expect(results).toHaveLength(10_000);
      const answers = new Map<string, unknown>();
      for (const c of distinct) {
        const answer = await single(c, ACME, at);
        // `at` defaults to the moment of each request: the same instant only when it was given.
        answers.set(JSON.stringify(c), at ? answer : { ...answer, at: expect.any(String) });
      }
      results.forEach((r: unknown, i: number) => expect(r).toEqual(answers.get(JSON.stringify(checks[i]))));
      const reasonOf = (customer: string, channel: string) => results.find((r: Check) => r.customer === customer && r.channel === channel).reason;
      expect(reasonOf("ACME-0010", "email")).toBe("granted");
      expect(reasonOf("ACME-0011", "sms")).toBe(at ? "granted" : "withdrawn");
      expect(reasonOf("ACME-0404", "sms")).toBe("unknown_customer");
      expect(reasonOf("GLX-0001", "email")).toBe("unknown_customer"); // another tenant's customer
    }
  });

  it("refuses more than 10,000 checks with 413 problem+json", async () => {
    const checks = Array.from({ length: 10_001 }, () => ({ customer: "ACME-0010", purpose: "marketing", channel: "email" }));
    const response = await batch({ checks });
    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect((await response.json()).detail).toMatch(/at most 10,000 checks/);
  });

  it("lists every invalid entry with its path: shape, unknown purpose, unused channel, bad time", async () => {
    const response = await batch({
      at: "last tuesday",
      checks: [
        { customer: "ACME-0010", purpose: "marketing", channel: "email" },
        { customer: "ACME-0010", purpose: "marketing", channel: "fax" },
        { purpose: "marketing", channel: "email" },
      ],
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect((await response.json()).errors.map((e: { path: string }) => e.path).sort()).toEqual(["at", "checks.1.channel", "checks.2.customer"]);

    const purposes = await (await batch({ checks: [{ customer: "ACME-0010", purpose: "marketing", channel: "email" }, { customer: "ACME-0010", purpose: "markting", channel: "email" }, { customer: "ACME-0010", purpose: "profiling", channel: "post" }] })).json();
    expect(purposes.errors).toEqual([
      { path: "checks.1.purpose", message: "unknown purpose 'markting'" },
      { path: "checks.2.channel", message: "purpose 'profiling' does not use the channel 'post'" },
    ]);
    expect((await batch("{not json")).status).toBe(400);
    expect((await (await batch({ checks: "ACME-0010" })).json()).errors.map((e: { path: string }) => e.path)).toEqual(["checks"]);
  });

  it("keeps tenants apart: another tenant's key sees these customers as unknown", async () => {
    const { results } = await (await batch({ checks: [{ customer: "ACME-0010", purpose: "marketing", channel: "email" }] }, GLOBEX)).json();
    expect(results).toEqual([expect.objectContaining({ customer: "ACME-0010", allowed: false, reason: "unknown_customer", eventId: null })]);
  });

  it("needs the scope consent:read, and a key that is not revoked", async () => {
    const acme = await tenantIdByKey(t.db, "acme");
    const { key } = await createApiKey(t.db, systemActor("test"), { tenantId: acme, name: "Dialler", scopes: ["consent:write"] });
    const body = { checks: [{ customer: "ACME-0010", purpose: "marketing", channel: "email" }] };
    expect((await batch(body, key)).status).toBe(403);
    expect((await batch(body, "nope")).status).toBe(401);
    const reader = await createApiKey(t.db, systemActor("test"), { tenantId: acme, name: "Campaign tool", scopes: ["consent:read"] });
    expect((await batch(body, reader.key)).status).toBe(200);
    await revokeApiKey(t.db, systemActor("test"), reader.id);
    expect((await batch(body, reader.key)).status).toBe(401);
    expect((await check(get("/api/v1/consents/check?customer=ACME-0010&purpose=marketing&channel=email", reader.key), noParams)).status).toBe(401);
  });

  it("answers /api/health without a key or the database", async () => {
    const response = health();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });
});
