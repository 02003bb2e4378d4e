import { and, count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiKeys,
  auditEvents,
  notices,
  purposes,
  staffTenants,
  staffUsers,
  tenants,
  webhookEndpoints,
} from "@/db/schema";
import { tenantIdByKey } from "@/db/seed";
import { newStaffActor, sessionActor } from "@/db/testing/staff";
import { offlineTargets } from "@/db/testing/webhook-targets";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import type { StaffActor } from "@/lib/actor";
import { createApiKey, listApiKeys, revokeApiKey } from "@/lib/api-keys/api-keys";
import { createPurpose, publishNotice, tenantCatalogue, updatePurpose } from "@/lib/consent/catalogue";
import { ForbiddenError, NotFoundError } from "@/lib/errors";
import { createStaff, listStaff, unlockStaff, updateStaff } from "@/lib/staff/staff";
import { createTenant, listAssignableTenants, listTenants, updateTenant } from "@/lib/tenants/tenants";
import { disableWebhookEndpoint, listWebhookEndpoints, registerWebhookEndpoint } from "@/lib/webhooks/webhooks";

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a refusal, but the call succeeded");
}

/**
 * Issue 11, hole 2: an admin acts only on the tenants assigned to them. A Globex-only admin tries each
 * admin function on Acme: it is not found, and neither the row nor the audit changes.
 */
describe("an admin's scope", () => {
  let t: TestDatabase;
  let acme: string;
  let globex: string;
  let platformAdmin: StaffActor;
  let globexAdmin: StaffActor;
  const audits = async () => (await t.db.select({ n: count() }).from(auditEvents))[0]!.n;

  /** Runs the attempt and asserts it is not found and wrote no audit event. */
  async function notFoundAndUnaudited(attempt: () => Promise<unknown>) {
    const before = await audits();
    expect(await refusal(attempt())).toBeInstanceOf(NotFoundError);
    expect(await audits()).toBe(before);
  }

  beforeAll(async () => {
    t = await testDatabase({ seed: true });
    acme = await tenantIdByKey(t.db, "acme");
    globex = await tenantIdByKey(t.db, "globex");
    platformAdmin = await sessionActor(t.db, "admin@demo.test");
    globexAdmin = await newStaffActor(t.db, "admin", [globex]);
  });
  afterAll(() => t?.close());

  it("the demo admin is a platform admin; a new admin is not", () => {
    expect(platformAdmin.platformAdmin).toBe(true);
    expect(globexAdmin).toMatchObject({ role: "admin", platformAdmin: false, tenantIds: [globex] });
  });

  describe("API keys", () => {
    it("cannot be created for another tenant", async () => {
      await notFoundAndUnaudited(() =>
        createApiKey(t.db, globexAdmin, { tenantId: acme, name: "Stolen", scopes: ["customers:read"] }),
      );
      expect(await t.db.select().from(apiKeys).where(eq(apiKeys.name, "Stolen"))).toEqual([]);
    });

    it("of another tenant cannot be revoked, and stay active", async () => {
      const [acmeKey] = await t.db.select().from(apiKeys).where(eq(apiKeys.tenantId, acme));
      await notFoundAndUnaudited(() => revokeApiKey(t.db, globexAdmin, acmeKey!.id));
      expect((await t.db.select().from(apiKeys).where(eq(apiKeys.id, acmeKey!.id)))[0]!.revokedAt).toBeNull();
    });

    it("are listed for the admin's own tenants only", async () => {
      const listed = await listApiKeys(t.db, globexAdmin);
      expect(listed.length).toBeGreaterThan(0);
      expect(new Set(listed.map((k) => k.tenantId))).toEqual(new Set([globex]));
      expect(new Set((await listApiKeys(t.db, platformAdmin)).map((k) => k.tenantId))).toEqual(new Set([acme, globex]));
    });
  });

  describe("purposes and notices", () => {
    it("of another tenant cannot be read", async () => {
      await notFoundAndUnaudited(() => tenantCatalogue(t.db, globexAdmin, acme));
    });

    it("cannot be added to another tenant", async () => {
      await notFoundAndUnaudited(() =>
        createPurpose(t.db, globexAdmin, acme, {
          key: "stolen",
          name: "Stolen",
          legalBasis: "consent",
          category: "x",
          channels: ["email"],
        }),
      );
      expect(await t.db.select().from(purposes).where(eq(purposes.key, "stolen"))).toEqual([]);
    });

    it("of another tenant cannot be changed", async () => {
      const [marketing] = await t.db
        .select()
        .from(purposes)
        .where(and(eq(purposes.tenantId, acme), eq(purposes.key, "marketing")));
      const change = {
        tenantId: acme,
        purposeId: marketing!.id,
        name: "Hijacked",
        legalBasis: marketing!.legalBasis,
        channels: marketing!.channels,
      };
      await notFoundAndUnaudited(() => updatePurpose(t.db, globexAdmin, change));
      expect((await t.db.select().from(purposes).where(eq(purposes.id, marketing!.id)))[0]!.name).toBe("Marketing");
    });

    it("cannot be published for another tenant", async () => {
      const countAcme = async () =>
        (await t.db.select({ n: count() }).from(notices).where(eq(notices.tenantId, acme)))[0]!.n;
      const before = await countAcme();
      const text = "Acme Energy uses your details for Marketing. You can withdraw at any time.";
      await notFoundAndUnaudited(() =>
        publishNotice(t.db, globexAdmin, acme, { purposeKeys: ["marketing"], kind: "web", language: "en", text }),
      );
      expect(await countAcme()).toBe(before);
    });
  });

  describe("tenants", () => {
    it("another tenant's settings cannot be changed", async () => {
      const change = {
        tenantId: acme,
        name: "Hijacked",
        rulePacks: ["uk_gdpr" as const],
        defaultCountry: "GB",
        knowledgeOnlyStrong: true,
        emailDoubleOptIn: false,
      };
      await notFoundAndUnaudited(() => updateTenant(t.db, globexAdmin, change));
      expect((await t.db.select().from(tenants).where(eq(tenants.id, acme)))[0]).toMatchObject({
        name: "Acme Energy",
        knowledgeOnlyStrong: false,
      });
    });

    it("are listed to an admin as their own, for settings and for staff", async () => {
      expect((await listTenants(t.db, globexAdmin)).map((x) => x.key)).toEqual(["globex"]);
      expect((await listAssignableTenants(t.db, globexAdmin)).map((x) => x.key)).toEqual(["globex"]);
    });

    it("are created by a platform admin only, who is assigned to the new tenant at once", async () => {
      const initech = {
        key: "initech",
        name: "Initech",
        rulePacks: ["ccpa" as const],
        defaultCountry: "US",
        knowledgeOnlyStrong: false,
        emailDoubleOptIn: false,
      };
      const before = await audits();
      expect(await refusal(createTenant(t.db, globexAdmin, initech))).toBeInstanceOf(ForbiddenError);
      expect(await audits()).toBe(before);
      expect(await t.db.select().from(tenants).where(eq(tenants.key, "initech"))).toEqual([]);

      const tenant = await createTenant(t.db, platformAdmin, initech);
      const assigned = await t.db.select().from(staffTenants).where(eq(staffTenants.tenantId, tenant.id));
      expect(assigned.map((a) => a.staffId)).toEqual([platformAdmin.id]);
      // Every tenant is assignable by a platform admin, though they administer only their own.
      const assignable = (await listAssignableTenants(t.db, { ...platformAdmin, tenantIds: [] })).map((x) => x.key);
      expect(assignable).toEqual(expect.arrayContaining(["acme", "globex", "initech"]));
      expect(await listTenants(t.db, { ...platformAdmin, tenantIds: [] })).toEqual([]);
    });
  });

  describe("staff", () => {
    const emailExists = async (email: string) =>
      (await t.db.select().from(staffUsers).where(eq(staffUsers.email, email))).length > 0;
    const tenantsOf = async (staffId: string) =>
      (await t.db.select().from(staffTenants).where(eq(staffTenants.staffId, staffId))).map((l) => l.tenantId).sort();

    it("cannot be created in another tenant, nor as a platform admin", async () => {
      const person = {
        name: "Mallory",
        email: "mallory@test.test",
        role: "agent" as const,
        password: "a long pass phrase",
      };
      await notFoundAndUnaudited(() => createStaff(t.db, globexAdmin, { ...person, tenantIds: [globex, acme] }));
      const before = await audits();
      expect(
        await refusal(
          createStaff(t.db, globexAdmin, { ...person, role: "admin", platformAdmin: true, tenantIds: [globex] }),
        ),
      ).toBeInstanceOf(ForbiddenError);
      expect(await audits()).toBe(before);
      expect(await emailExists(person.email)).toBe(false);
    });

    it("of another tenant only are not listed, not changed and not unlocked", async () => {
      const acmeAgent = await newStaffActor(t.db, "agent", [acme]);
      expect((await listStaff(t.db, globexAdmin)).map((s) => s.id)).not.toContain(acmeAgent.id);
      await notFoundAndUnaudited(() =>
        updateStaff(t.db, globexAdmin, { staffId: acmeAgent.id, role: "agent", active: false, tenantIds: [globex] }),
      );
      await t.db
        .update(staffUsers)
        .set({ lockedUntil: new Date(Date.now() + 60_000) })
        .where(eq(staffUsers.id, acmeAgent.id));
      await notFoundAndUnaudited(() => unlockStaff(t.db, globexAdmin, acmeAgent.id));
      const [row] = await t.db.select().from(staffUsers).where(eq(staffUsers.id, acmeAgent.id));
      expect(row).toMatchObject({ active: true, role: "agent" });
      expect(row!.lockedUntil).not.toBeNull();
      expect(await tenantsOf(acmeAgent.id)).toEqual([acme]);
    });

    it("cannot be given a tenant the admin does not hold", async () => {
      const globexAgent = await newStaffActor(t.db, "agent", [globex]);
      await notFoundAndUnaudited(() =>
        updateStaff(t.db, globexAdmin, {
          staffId: globexAgent.id,
          role: "agent",
          active: true,
          tenantIds: [globex, acme],
        }),
      );
      expect(await tenantsOf(globexAgent.id)).toEqual([globex]);
    });

    it("working for other tenants too keep those tenants, role and status; only the admin's own tenants change", async () => {
      const shared = await newStaffActor(t.db, "agent", [acme, globex]);
      const listed = (await listStaff(t.db, globexAdmin)).find((s) => s.id === shared.id);
      expect(listed?.tenantIds).toEqual([globex]); // Acme is not the Globex admin's to see
      const before = await audits();
      expect(
        await refusal(
          updateStaff(t.db, globexAdmin, { staffId: shared.id, role: "admin", active: true, tenantIds: [globex] }),
        ),
      ).toBeInstanceOf(ForbiddenError);
      expect(
        await refusal(
          updateStaff(t.db, globexAdmin, { staffId: shared.id, role: "agent", active: false, tenantIds: [globex] }),
        ),
      ).toBeInstanceOf(ForbiddenError);
      expect(await audits()).toBe(before);
      expect((await t.db.select().from(staffUsers).where(eq(staffUsers.id, shared.id)))[0]).toMatchObject({
        role: "agent",
        active: true,
      });

      await updateStaff(t.db, globexAdmin, { staffId: shared.id, role: "agent", active: true, tenantIds: [] });
      expect(await tenantsOf(shared.id)).toEqual([acme]);
      // Now of Acme only, the agent is out of the Globex admin's sight.
      expect(
        await refusal(
          updateStaff(t.db, globexAdmin, { staffId: shared.id, role: "agent", active: true, tenantIds: [globex] }),
        ),
      ).toBeInstanceOf(NotFoundError);
    });

    it("are made platform admins, or changed as one, by a platform admin only", async () => {
      const colleague = await newStaffActor(t.db, "admin", [globex]);
      const promote = {
        staffId: colleague.id,
        role: "admin" as const,
        active: true,
        tenantIds: [globex],
        platformAdmin: true,
      };
      expect(await refusal(updateStaff(t.db, globexAdmin, promote))).toBeInstanceOf(ForbiddenError);
      expect((await t.db.select().from(staffUsers).where(eq(staffUsers.id, colleague.id)))[0]!.platformAdmin).toBe(
        false,
      );

      await updateStaff(t.db, platformAdmin, promote);
      expect((await t.db.select().from(staffUsers).where(eq(staffUsers.id, colleague.id)))[0]!.platformAdmin).toBe(
        true,
      );
      // The Globex admin may no longer touch them, even only their Globex assignment.
      expect(await refusal(updateStaff(t.db, globexAdmin, { ...promote, platformAdmin: undefined }))).toBeInstanceOf(
        ForbiddenError,
      );
    });

    it("are assigned to any tenant by a platform admin, even one they do not administer", async () => {
      const onboarder = { ...platformAdmin, tenantIds: [] };
      const { id } = await createStaff(t.db, onboarder, {
        name: "Ola",
        email: "ola@test.test",
        role: "admin",
        password: "a long pass phrase",
        tenantIds: [acme],
      });
      expect(await tenantsOf(id)).toEqual([acme]);
      // Yet what belongs to the tenant stays out of their reach until they are assigned to it.
      await notFoundAndUnaudited(() =>
        createApiKey(t.db, onboarder, { tenantId: acme, name: "Onboarding", scopes: ["consent:read"] }),
      );
    });
  });

  describe("webhook endpoints", () => {
    it("cannot be registered for, or disabled in, another tenant", async () => {
      await notFoundAndUnaudited(() =>
        registerWebhookEndpoint(t.db, globexAdmin, {
          tenantId: acme,
          url: "https://evil.test/hooks",
          description: "Exfiltration",
          eventTypes: ["consent.changed"],
        }),
      );
      expect(
        await t.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.description, "Exfiltration")),
      ).toEqual([]);
      const { id } = await registerWebhookEndpoint(
        t.db,
        platformAdmin,
        {
          tenantId: acme,
          url: "https://crm.acme.test/hooks",
          description: "Acme CRM",
          eventTypes: ["consent.changed"],
        },
        { targets: offlineTargets() },
      );
      await notFoundAndUnaudited(() => disableWebhookEndpoint(t.db, globexAdmin, id));
      expect((await t.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)))[0]!.disabledAt).toBeNull();
      expect((await listWebhookEndpoints(t.db, globexAdmin)).map((e) => e.id)).not.toContain(id);
    });
  });
});
