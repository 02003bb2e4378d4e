import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor } from "@/lib/actor";
import { createPlatformAdmin } from "@/lib/staff/staff";
import { apiKeys, staffUsers, tenants } from "./schema";
import { demoSeedWanted, seedDemo, seedDemoIfWanted } from "./seed";

describe("seeding the demo", () => {
  it("is wanted only for the demo, and never in production", () => {
    expect(demoSeedWanted({ demo: true, production: false })).toBe(true);
    expect(demoSeedWanted({ demo: false, production: false })).toBe(false);
    expect(demoSeedWanted({ demo: true, production: true })).toBe(false);
  });

  describe("into an empty database", () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await testDatabase();
    });
    afterAll(() => t?.close());

    const isEmpty = async () =>
      (await t.db.select().from(tenants)).length + (await t.db.select().from(apiKeys)).length === 0;

    it("does not happen on a database server without ATTEST_DEMO=1 (lib/env.test.ts: not the demo)", async () => {
      expect(await seedDemoIfWanted(t.db, { demo: false, production: false })).toBe(false);
      expect(await isEmpty()).toBe(true);
      expect(await t.db.select().from(staffUsers)).toEqual([]);
    });

    it("does not happen once a first admin was created, though no tenant exists yet", async () => {
      await createPlatformAdmin(t.db, systemActor("create-admin command"), {
        email: "ops@example.com",
        name: "Olga Ops",
        password: "quiet river stones",
      });
      expect(await seedDemo(t.db)).toBe(false);
      expect(await isEmpty()).toBe(true);
      expect((await t.db.select().from(staffUsers)).map((s) => s.email)).toEqual(["ops@example.com"]);
    });
  });
});
