import { and, eq, sql } from "drizzle-orm";
import { systemActor, type StaffActor } from "@/lib/actor";
import { createApiKey, API_SCOPES } from "@/lib/api-keys/api-keys";
import { recordCallConsent, recordMarketingObjection } from "@/lib/consent/capture";
import { createPurpose, publishNotice } from "@/lib/consent/catalogue";
import { recordExternalConsent } from "@/lib/consent/record";
import { putCustomer } from "@/lib/customers/customers";
import { storeSecurityAnswer } from "@/lib/identity/security-settings";
import { checkKnowledge } from "@/lib/identity/verification";
import { seedDemoPreferences } from "@/lib/preferences/demo";
import { seedDemoPrivacyRequests } from "@/lib/privacy-requests/demo";
import { endCall, startCall } from "@/lib/interactions/interactions";
import { seedDemoPaymentMethods } from "@/lib/payments/demo";
import { env, type Env } from "@/lib/env";
import { enrolDemoSecondFactor } from "@/lib/staff/second-factor";
import { createStaff } from "@/lib/staff/staff";
import { seedDemoSubscriptions } from "@/lib/subscriptions/demo";
import { createTenant } from "@/lib/tenants/tenants";
import type { Db } from "./client";
import { runAsCommand } from "./command";
import { demoApiKeys, demoCalls, demoConsentHistory, demoCustomers, demoNoticeText, DEMO_PASSWORD, demoPaymentMethods, demoPurposes, demoSecurityAnswers, demoStaff, demoTenants, globexOnlyPurposes, DEMO_TOTP_SECRET, demoStaffWithAuthenticator } from "./demo-data";
import { customers, notices, staffUsers, tenants } from "./schema";

/**
 * Whether `npm start` and `npm run seed` put the demo, with its demo-password staff and all-scope API
 * keys, into an empty database: the embedded one, or a server's with ATTEST_DEMO=1; never under
 * NODE_ENV=production. A real deployment starts with `npm run create-admin` instead.
 */
export function demoSeedWanted(settings: Pick<Env, "demo" | "production"> = env): boolean {
  return settings.demo && !settings.production;
}

/** `npm start` and `npm run seed`: the demo where it is wanted (demoSeedWanted), into an empty database. */
export async function seedDemoIfWanted(db: Db, settings: Pick<Env, "demo" | "production"> = env): Promise<boolean> {
  return demoSeedWanted(settings) && seedDemo(db);
}

/**
 * Seeds the demo (API.md "Demo data") into an empty database, through the same domain code the
 * product uses. Does nothing when any tenant or staff member exists (a first admin made by
 * `npm run create-admin` included). Tests call it directly, on a database server too.
 */
export async function seedDemo(db: Db): Promise<boolean> {
  // One transaction: a seed that fails half-way leaves an empty database, seeded again next start.
  return db.transaction(async (tx) => {
    const [tenant] = await tx.select({ id: tenants.id }).from(tenants).limit(1);
    const [staff] = await tx.select({ id: staffUsers.id }).from(staffUsers).limit(1);
    if (tenant || staff) return false;
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
  const staffIds: Record<string, string> = {};
  for (const s of demoStaff) {
    staffIds[s.email] = (
      await createStaff(db, seeder, {
        email: s.email,
        name: s.name,
        role: s.role,
        platformAdmin: "platformAdmin" in s && s.platformAdmin,
        password: DEMO_PASSWORD,
        tenantIds: s.tenants.map((k) => tenantIds[k]!),
      })
    ).id;
  }
  for (const email of demoStaffWithAuthenticator) await enrolDemoSecondFactor(db, staffIds[email]!, DEMO_TOTP_SECRET);
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
  await seedDemoSubscriptions(db, seeder);
  await seedDemoPreferences(db, seeder, tenantIds);
  await seedDemoPrivacyRequests(db, seeder, tenantIds);
  const agent = demoStaff[0];
  await seedDemoConsents(db, tenantIds, {
    type: "staff",
    id: staffIds[agent.email]!,
    email: agent.email,
    name: agent.name,
    role: agent.role,
    platformAdmin: false,
    tenantIds: agent.tenants.map((k) => tenantIds[k]!),
    sessionId: "demo-seed",
    ip: null,
  });
}

/** The demo's consents, recorded through the consent API's domain code and the agent desk's. */
async function seedDemoConsents(db: Db, tenantIds: Record<string, string>, agent: StaffActor): Promise<void> {
  const tenantOf = (ref: string) => tenantIds[ref.startsWith("ACME") ? "acme" : "globex"]!;
  const noticeFor = async (tenantId: string, purpose: string, kind: "script" | "web") => {
    const [notice] = await db
      .select({ id: notices.id })
      .from(notices)
      .where(and(eq(notices.tenantId, tenantId), eq(notices.kind, kind), sql`${purpose} = any(${notices.purposeKeys})`));
    return notice!.id;
  };
  for (const c of demoConsentHistory) {
    const tenantId = tenantOf(c.ref);
    const notice = c.action === "grant" ? await noticeFor(tenantId, c.purpose, "web") : undefined;
    await recordExternalConsent(db, systemActor(`demo ${c.method} capture`), tenantId, { customer: c.ref, purpose: c.purpose, channel: c.channel, action: c.action, method: c.method, notice, occurredAt: c.occurredAt });
  }
  for (const c of demoCalls) {
    const tenantId = tenantOf(c.ref);
    const [customer] = await db.select({ id: customers.id }).from(customers).where(and(eq(customers.tenantId, tenantId), eq(customers.ref, c.ref)));
    const call = await startCall(db, agent, { customerId: customer!.id, recordingRef: c.recordingRef });
    const inCall = { interactionId: call.id, customerId: customer!.id };
    if (c.verifyDateOfBirth) await checkKnowledge(db, agent, { ...inCall, kind: "date_of_birth", answer: c.verifyDateOfBirth });
    for (const a of c.answers) {
      const noticeId = a.decision === "grant" ? await noticeFor(tenantId, a.purpose, "script") : undefined;
      await recordCallConsent(db, agent, { ...inCall, purpose: a.purpose, channel: a.channel, decision: a.decision, noticeId });
    }
    if (c.objectsToMarketing) await recordMarketingObjection(db, agent, inCall);
    await endCall(db, agent, { interactionId: call.id, disposition: "resolved", summary: c.summary });
  }
  // Cards and bank accounts added on calls by the same demo agent.
  await seedDemoPaymentMethods(db, agent, tenantIds, demoPaymentMethods);
}

export async function tenantIdByKey(db: Db, key: string): Promise<string> {
  const [row] = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.key, key));
  if (!row) throw new Error(`no tenant '${key}'`);
  return row.id;
}

runAsCommand(import.meta.url, async ({ db }) => {
  if (!demoSeedWanted()) return "Not seeded: the demo goes only into the embedded database, or a server's with ATTEST_DEMO=1, never under NODE_ENV=production.";
  return (await seedDemo(db)) ? "demo data seeded" : "database not empty: nothing seeded";
});
