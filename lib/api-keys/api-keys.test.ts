import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys, auditEvents } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { StaffActor } from "@/lib/actor";
import { ForbiddenError, NotFoundError } from "@/lib/errors";
import { apiKeyRateLimitSchema, authenticateApiKey, createApiKey, hashApiKey, revokeApiKey, setApiKeyRateLimit } from "./api-keys";

describe("API keys", () => {
  let t: TestDatabase;
  let admin: StaffActor;
  let acme: string;
  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    admin = await signedInStaff(t.db, "admin@demo.test");
    acme = await tenantIdByKey(t.db, "acme");
  });
  afterAll(() => t.close());

  it("are shown once and kept only as a hash, with their scopes", async () => {
    const { id, key } = await createApiKey(t.db, admin, { tenantId: acme, name: "Dialler", scopes: ["consent:read", "consent:read"] });
    expect(key).toMatch(/^att_[A-Za-z0-9_-]{32}$/);
    const [row] = await t.db.select().from(apiKeys).where(eq(apiKeys.id, id));
    expect(row!.keyHash).toBe(hashApiKey(key));
    expect(JSON.stringify(row)).not.toContain(key);
    expect(row!.scopes).toEqual(["consent:read"]);
    const [event] = await t.db.select().from(auditEvents).where(eq(auditEvents.entityId, id));
    expect(event!.action).toBe("api_key.created");
    expect(JSON.stringify(event)).not.toContain(key);
  });

  it("authenticate to their tenant and record when they were last used, at most every few minutes", async () => {
    const { id, key } = await createApiKey(t.db, admin, { tenantId: acme, name: "CRM", scopes: ["customers:read"] });
    const t0 = new Date("2030-01-01T09:00:00Z");
    const actor = await authenticateApiKey(t.db, key, "198.51.100.9", t0);
    expect(actor).toMatchObject({ type: "api_key", id, tenantId: acme, scopes: ["customers:read"], ip: "198.51.100.9" });
    const lastUsed = async () => (await t.db.select().from(apiKeys).where(eq(apiKeys.id, id)))[0]!.lastUsedAt;
    expect(await lastUsed()).toEqual(t0);
    await authenticateApiKey(t.db, key, null, new Date(t0.getTime() + 60_000));
    expect(await lastUsed()).toEqual(t0);
    const later = new Date(t0.getTime() + 10 * 60_000);
    await authenticateApiKey(t.db, key, null, later);
    expect(await lastUsed()).toEqual(later);
  });

  it("stop working once revoked, and only admins manage them", async () => {
    const { id, key } = await createApiKey(t.db, admin, { tenantId: acme, name: "Old", scopes: ["customers:read"] });
    const supervisor = await signedInStaff(t.db, "supervisor@demo.test");
    await expect(revokeApiKey(t.db, supervisor, id)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(createApiKey(t.db, supervisor, { tenantId: acme, name: "Mine", scopes: ["audit:read"] })).rejects.toBeInstanceOf(ForbiddenError);
    // Used a moment ago, so this process remembers the key as active: revoking must still refuse it at once.
    expect(await authenticateApiKey(t.db, key, null)).toMatchObject({ id, tenantId: acme });
    await revokeApiKey(t.db, admin, id);
    expect(await authenticateApiKey(t.db, key, null)).toBeNull();
    expect(await authenticateApiKey(t.db, "att_unknown", null)).toBeNull();
    expect(await authenticateApiKey(t.db, "", null)).toBeNull();
  });

  it("take a rate limit of their own from an admin, validated per field and audited; empty means the default", async () => {
    const { id, key } = await createApiKey(t.db, admin, { tenantId: acme, name: "Campaign tool", scopes: ["consent:read"] });
    expect((await authenticateApiKey(t.db, key, null))!.rateLimit).toEqual({ perSecond: 100, burst: 200 });

    const invalid = apiKeyRateLimitSchema.safeParse({ apiKeyId: id, ratePerSecond: "fast", rateBurst: "0" });
    expect(invalid.success ? [] : invalid.error.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["ratePerSecond", "must be a whole number"],
      ["rateBurst", "must be at least 1"],
    ]);
    const tooMuch = apiKeyRateLimitSchema.safeParse({ apiKeyId: id, ratePerSecond: "2.5", rateBurst: "10000000" });
    expect(tooMuch.success ? [] : tooMuch.error.issues.map((i) => i.message)).toEqual(["must be a whole number", "must be at most 1,000,000"]);

    const form = apiKeyRateLimitSchema.parse({ apiKeyId: id, ratePerSecond: " 5 ", rateBurst: "" });
    expect(form).toEqual({ apiKeyId: id, ratePerSecond: 5, rateBurst: null });
    await setApiKeyRateLimit(t.db, admin, form);
    // The process that changed it forgets the key it had cached: the new limit applies at once.
    expect((await authenticateApiKey(t.db, key, null))!.rateLimit).toEqual({ perSecond: 5, burst: 200 });
    const events = await t.db.select().from(auditEvents).where(eq(auditEvents.entityId, id));
    const changed = events.find((e) => e.action === "api_key.rate_limit_changed");
    expect(changed).toMatchObject({ before: { ratePerSecond: null, rateBurst: null }, after: { ratePerSecond: 5, rateBurst: null } });

    // The same values again change nothing and record nothing.
    await setApiKeyRateLimit(t.db, admin, form);
    expect((await t.db.select().from(auditEvents).where(eq(auditEvents.entityId, id))).length).toBe(events.length);

    const supervisor = await signedInStaff(t.db, "supervisor@demo.test");
    await expect(setApiKeyRateLimit(t.db, supervisor, { ...form, ratePerSecond: 1 })).rejects.toBeInstanceOf(ForbiddenError);
    await revokeApiKey(t.db, admin, id);
    await expect(setApiKeyRateLimit(t.db, admin, { ...form, ratePerSecond: 1 })).rejects.toBeInstanceOf(NotFoundError);
  });
});
