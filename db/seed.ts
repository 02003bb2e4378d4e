import { eq } from "drizzle-orm";
import { systemActor } from "@/lib/actor";
import { createApiKey, API_SCOPES } from "@/lib/api-keys/api-keys";
import { createPurpose, publishNotice } from "@/lib/consent/catalogue";
import { putCustomer } from "@/lib/customers/customers";
import { storeSecurityAnswer } from "@/lib/identity/security-settings";
import { env } from "@/lib/env";
import { createStaff } from "@/lib/staff/staff";
import { createTenant } from "@/lib/tenants/tenants";
import type { Db } from "./client";
import { runAsCommand } from "./command";
import { demoApiKeys, demoCustomers, demoNoticeText, DEMO_PASSWORD, demoPurposes, demoSecurityAnswers, demoStaff, demoTenants, globexOnlyPurposes } from "./demo-data";
import { tenants } from "./schema";

/**
 * Seeds the demo (API.md "Demo data") into an empty database, through the same domain code the
 * product uses. Does nothing when any tenant exists, and never runs in production.
 */
export async function seedDemo(db: Db): Promise<boolean> {
  if (env.production) return false;
  // One transaction: a seed that fails half-way leaves an empty database, seeded again next start.
  return db.transaction(async (tx) => {
    const [any] = await tx.select({ id: tenants.id }).from(tenants).limit(1);
    if (any) return false;
    await seedInto(tx);
    return true;
  });
}

async function seedInto(db: Db): Promise<void> {
  const seeder = systemActor("demo seed");
  const tenantIds: Record<string, string> = {};
  for (const t of demoTenants) {
    const tenant = await createTenant(db, seeder, { ...t, rulePacks: [...t.rulePacks] });
    tenantIds[t.key] = tenant.id;
  }
  for (const s of demoStaff) {
    await createStaff(db, seeder, {
      email: s.email,
      name: s.name,
      role: s.role,
      password: DEMO_PASSWORD,
      tenantIds: s.tenants.map((k) => tenantIds[k]!),
    });
  }
  for (const t of demoTenants) {
    for (const purpose of [...demoPurposes, ...(t.key === "globex" ? globexOnlyPurposes : [])]) {
      await createPurpose(db, seeder, tenantIds[t.key]!, { ...purpose, channels: [...purpose.channels] });
      for (const kind of ["script", "web"] as const) {
        await publishNotice(db, seeder, tenantIds[t.key]!, { purposeKeys: [purpose.key], kind, language: "en", text: demoNoticeText(t.name, purpose.name, kind) });
      }
    }
  }
  for (const k of demoApiKeys) {
    await createApiKey(db, seeder, { tenantId: tenantIds[k.tenant]!, name: `Demo key (${k.tenant})`, scopes: [...API_SCOPES] }, k.key);
  }
  for (const { tenant, ref, ...fields } of demoCustomers) {
    const { customer } = await putCustomer(db, seeder, tenantIds[tenant]!, ref, fields);
    const security = demoSecurityAnswers[ref];
    if (security) await storeSecurityAnswer(db, customer, security.question, security.answer);
  }
}

export async function tenantIdByKey(db: Db, key: string): Promise<string> {
  const [row] = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.key, key));
  if (!row) throw new Error(`no tenant '${key}'`);
  return row.id;
}

runAsCommand(import.meta.url, async ({ db }) => ((await seedDemo(db)) ? "demo data seeded" : "database not empty (or production): nothing seeded"));
