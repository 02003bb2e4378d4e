import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, tenants } from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { signedInStaff, testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { StaffActor } from "@/lib/actor";
import { ConflictError, ForbiddenError } from "@/lib/errors";
import { createTenant, createTenantSchema, listTenants, updateTenant, updateTenantSchema } from "./tenants";

describe("tenant administration", () => {
  let t: TestDatabase;
  let admin: StaffActor;
  let acme: string;
  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    admin = await signedInStaff(t.db, "admin@demo.test");
    acme = await tenantIdByKey(t.db, "acme");
  });
  afterAll(() => t.close());

  it("lets an admin change name, rule-packs, default country and verification policy, audited", async () => {
    const input = updateTenantSchema.parse({ tenantId: acme, name: "Acme Energy UK", rulePacks: ["uk_gdpr", "pecr"], defaultCountry: "gb", knowledgeOnlyStrong: "true" });
    const updated = await updateTenant(t.db, admin, input);
    expect(updated).toMatchObject({ name: "Acme Energy UK", defaultCountry: "GB", knowledgeOnlyStrong: true });
    const [event] = await t.db.select().from(auditEvents).where(and(eq(auditEvents.entityId, acme), eq(auditEvents.action, "tenant.updated")));
    expect(event!.before).toMatchObject({ name: "Acme Energy", knowledgeOnlyStrong: false, emailDoubleOptIn: false });
    expect(event!.after).toMatchObject({ name: "Acme Energy UK", knowledgeOnlyStrong: true });
  });

  it("refuses unknown rule-packs and countries with a message per field", () => {
    const result = createTenantSchema.safeParse({ key: "Bad Key", name: "", rulePacks: ["gdpr", "nonsense"], defaultCountry: "XX" });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["key", "name", "rulePacks.1", "defaultCountry"]));
  });

  it("refuses a second tenant with the same key, and anyone but an admin", async () => {
    const initech = createTenantSchema.parse({ key: "initech", name: "Initech", rulePacks: ["ccpa"], defaultCountry: "US" });
    await createTenant(t.db, admin, initech);
    await expect(createTenant(t.db, admin, initech)).rejects.toBeInstanceOf(ConflictError);
    expect((await t.db.select().from(tenants).where(eq(tenants.key, "initech"))).length).toBe(1);
    const supervisor = await signedInStaff(t.db, "supervisor@demo.test");
    await expect(createTenant(t.db, supervisor, { ...initech, key: "other" })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(updateTenant(t.db, supervisor, { tenantId: acme, name: "X", rulePacks: ["gdpr"], defaultCountry: "GB", knowledgeOnlyStrong: false, emailDoubleOptIn: false })).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("lists to everyone their own tenants: the admin who created one holds it from then on", async () => {
    const again = await signedInStaff(t.db, "admin@demo.test");
    expect((await listTenants(t.db, again)).map((x) => x.key)).toEqual(["acme", "globex", "initech"]);
    const acmeAgent = await signedInStaff(t.db, "agent.acme@demo.test");
    expect((await listTenants(t.db, acmeAgent)).map((x) => x.key)).toEqual(["acme"]);
  });
});
