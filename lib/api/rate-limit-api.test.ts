import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as check, POST as batchCheck } from "@/app/api/v1/consents/check/route";
import { useConnection } from "@/db/client";
import { tenantIdByKey } from "@/db/seed";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor } from "@/lib/actor";
import { createApiKey, setApiKeyRateLimit } from "@/lib/api-keys/api-keys";

const noParams = { params: Promise.resolve({}) };
const question = { customer: "ACME-0010", purpose: "marketing", channel: "email" };
const single = (key: string) =>
  check(
    new Request(`http://localhost/api/v1/consents/check?${new URLSearchParams(question)}`, {
      headers: { authorization: `Bearer ${key}` },
    }),
    noParams,
  );
const batch = (key: string, size: number) =>
  batchCheck(
    new Request("http://localhost/api/v1/consents/check", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ checks: Array.from({ length: size }, () => question) }),
    }),
    noParams,
  );

describe("API rate limits per key", () => {
  let t: TestDatabase;
  let acme: string;
  const admin = systemActor("test");
  /** A new key of its own (so that no test spends another's tokens), with the given limit. */
  const keyWith = async (ratePerSecond: number | null, rateBurst: number | null) => {
    const { id, key } = await createApiKey(t.db, admin, { tenantId: acme, name: "Dialler", scopes: ["consent:read"] });
    await setApiKeyRateLimit(t.db, admin, { apiKeyId: id, ratePerSecond, rateBurst });
    return key;
  };
  // The clock the handler reads (new Date()): frozen, and moved on by hand, so nothing depends on how fast the test runs.
  const t0 = new Date("2030-01-01T09:00:00Z");
  const setClock = (ms: number) => vi.setSystemTime(new Date(t0.getTime() + ms));

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    useConnection(t.connection);
    acme = await tenantIdByKey(t.db, "acme");
    vi.useFakeTimers({ toFake: ["Date"] });
  });
  afterEach(() => setClock(0));
  afterAll(async () => {
    vi.useRealTimers();
    await t.close();
  });

  it("refuses a key over its burst with 429 problem+json, Retry-After and the limit, and lets it through once time has passed", async () => {
    setClock(0);
    const key = await keyWith(1, 3);
    for (let i = 0; i < 3; i++) expect((await single(key)).status).toBe(200);
    const refused = await single(key);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(refused.headers.get("retry-after")).toBe("1");
    const body = await refused.json();
    expect(body).toMatchObject({ status: 429, title: "Too many requests" });
    expect(body.detail).toMatch(/1 requests a second, in bursts of up to 3.*Try again in 1 second\./);
    // Still refused within the second; one token back after it, and only one.
    setClock(500);
    expect((await single(key)).status).toBe(429);
    setClock(1000);
    expect((await single(key)).status).toBe(200);
    expect((await single(key)).status).toBe(429);
  });

  it("holds a key to its own setting, and a new key to the default of 100 a second in bursts of 200", async () => {
    setClock(10_000);
    const slow = await keyWith(2, 10);
    for (let i = 0; i < 10; i++) expect((await single(slow)).status).toBe(200);
    const refused = await single(slow);
    expect(refused.status).toBe(429);
    expect((await refused.json()).detail).toMatch(/2 requests a second, in bursts of up to 10/);

    // A default key takes a batch of 20,000 checks' worth (200) at once, and nothing more until time passes.
    const standard = await keyWith(null, null);
    expect((await batch(standard, 10_000)).status).toBe(200);
    expect((await batch(standard, 10_000)).status).toBe(200);
    const over = await single(standard);
    expect(over.status).toBe(429);
    expect((await over.json()).detail).toMatch(/100 requests a second, in bursts of up to 200/);
    setClock(10_020); // two hundredths of a second: two tokens back
    expect((await single(standard)).status).toBe(200);
  });

  it("counts a batch of 5,000 checks as 50 requests", async () => {
    setClock(20_000);
    const key = await keyWith(1, 51);
    expect((await batch(key, 5_000)).status).toBe(200);
    expect((await single(key)).status).toBe(200); // the 51st token: the batch took no more than 50
    const refused = await single(key); // and no fewer
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
  });

  it("slows a batch larger than the key's burst rather than refusing it for ever", async () => {
    setClock(30_000);
    const key = await keyWith(1, 20);
    expect((await batch(key, 10_000)).status).toBe(200); // costs 100, taken as the burst of 20
    const refused = await batch(key, 10_000);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1"); // the one token every request pays on arrival
    setClock(50_000);
    expect((await batch(key, 10_000)).status).toBe(200);
  });

  it("keeps keys apart: one key over its limit does not slow another", async () => {
    setClock(40_000);
    const spent = await keyWith(1, 1);
    const other = await keyWith(1, 1);
    expect((await single(spent)).status).toBe(200);
    expect((await single(spent)).status).toBe(429);
    expect((await single(other)).status).toBe(200);
  });
});
