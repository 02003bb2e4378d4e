import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, staffTenants, staffUsers } from "@/db/schema";
import { testDatabase, type TestDatabase } from "@/db/testing/test-database";
import { systemActor } from "@/lib/actor";
import { ValidationError } from "@/lib/errors";
import { verifyPassword } from "./passwords";
import { weakPasswordReason } from "./policy";
import { createPlatformAdmin } from "./staff";

describe("a staff password", () => {
  it("is refused, with the reason, when short, repetitive, common or made of the person's name or email", () => {
    const person = { name: "Olga Petrova", email: "olga.p@example.com" };
    expect(weakPasswordReason("short", person)).toBe("Password must be at least 12 characters");
    expect(weakPasswordReason("x".repeat(201), person)).toBe("Password must be at most 200 characters");
    expect(weakPasswordReason("abababababab", person)).toBe("Password must use at least 6 different characters");
    expect(weakPasswordReason("MyPassword2026!", person)).toBe(
      "Password is a common password; choose a phrase of your own",
    );
    expect(weakPasswordReason("qwertyuiop12", person)).toMatch(/common password/);
    expect(weakPasswordReason("demo-password", person)).toMatch(/common password/);
    expect(weakPasswordReason("4815162342!!", person)).toMatch(/common password/);
    expect(weakPasswordReason("petrova-rules-2026", person)).toBe("Password must not contain your name or email");
    expect(weakPasswordReason("olga.p is here 99", person)).toBe("Password must not contain your name or email");
  });

  it("is accepted as a long phrase of the person's own, whatever its characters", () => {
    expect(weakPasswordReason("quiet river stones", { name: "Olga Petrova", email: "olga.p@example.com" })).toBeNull();
    expect(weakPasswordReason("ŝtonoj ĉe la rivero", {})).toBeNull();
    expect(weakPasswordReason("a-long-enough-password", {})).toBeNull(); // a common word inside a phrase is fine
  });
});

describe("the first admin (npm run create-admin)", () => {
  let t: TestDatabase;
  const command = systemActor("create-admin command");
  beforeAll(async () => {
    t = await testDatabase();
  });
  afterAll(() => t?.close());

  const staffCount = async () => (await t.db.select().from(staffUsers)).length;

  it("refuses a weak password with the reason, writing nothing", async () => {
    const error = await createPlatformAdmin(t.db, command, {
      email: "ops@example.com",
      name: "Olga Ops",
      password: "password1234",
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).fieldErrors).toEqual([
      { path: "password", message: "Password is a common password; choose a phrase of your own" },
    ]);
    expect(await staffCount()).toBe(0);
    expect(await t.db.select().from(auditEvents)).toEqual([]);
  });

  it("is an active platform admin with no tenant yet, audited as the command", async () => {
    const { id } = await createPlatformAdmin(t.db, command, {
      email: " Ops@Example.com ".trim(),
      name: "Olga Ops",
      password: "quiet river stones",
    });
    const [admin] = await t.db.select().from(staffUsers).where(eq(staffUsers.id, id));
    expect(admin).toMatchObject({
      email: "ops@example.com",
      name: "Olga Ops",
      role: "admin",
      platformAdmin: true,
      active: true,
    });
    expect(await verifyPassword("quiet river stones", admin!.passwordHash)).toBe(true);
    expect(await t.db.select().from(staffTenants).where(eq(staffTenants.staffId, id))).toEqual([]);
    const [event] = await t.db.select().from(auditEvents).where(eq(auditEvents.entityId, id));
    expect(event).toMatchObject({
      action: "staff.created",
      actorLabel: "create-admin command",
      after: { email: "ops@example.com", role: "admin", platformAdmin: true, tenantIds: [] },
    });
    expect(JSON.stringify(event)).not.toContain("quiet river stones");
  });

  it("refuses an email that already exists, in any case", async () => {
    const error = await createPlatformAdmin(t.db, command, {
      email: "OPS@example.com",
      name: "Sam Second",
      password: "another long phrase",
    }).catch((e: unknown) => e);
    expect((error as ValidationError).fieldErrors).toEqual([
      { path: "email", message: "A staff member with this email already exists" },
    ]);
    expect(await staffCount()).toBe(1);
  });
});
