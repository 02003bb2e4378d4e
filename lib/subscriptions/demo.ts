import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { tenants } from "@/db/schema";
import type { Actor } from "@/lib/actor";
import type { Cycle } from "./billing";
import { createSubscription, customerIdsByRef, putCatalogue } from "./subscriptions";

/** The demo's plan catalogues: prices in minor units, per month and per year (a year costs about ten months). */
export const DEMO_CATALOGUES = {
  acme: {
    currency: "GBP",
    plans: [
      { key: "fixed_saver", name: "Fixed Saver", rank: 1, monthlyPrice: 4500, yearlyPrice: 45000 },
      { key: "standard_variable", name: "Standard Variable", rank: 2, monthlyPrice: 5500, yearlyPrice: 55000 },
      { key: "green_plus", name: "Green Plus", rank: 3, monthlyPrice: 6900, yearlyPrice: 69000 },
    ],
    addOns: [
      { key: "boiler_cover", name: "Boiler cover", monthlyPrice: 1200, yearlyPrice: 12000 },
      { key: "smart_meter_insights", name: "Smart meter insights", monthlyPrice: 300, yearlyPrice: 3000 },
    ],
  },
  globex: {
    currency: "USD",
    plans: [
      { key: "basic_5g", name: "Basic 5G", rank: 1, monthlyPrice: 2500, yearlyPrice: 25000 },
      { key: "unlimited", name: "Unlimited", rank: 2, monthlyPrice: 4500, yearlyPrice: 45000 },
      { key: "unlimited_max", name: "Unlimited Max", rank: 3, monthlyPrice: 6500, yearlyPrice: 65000 },
    ],
    addOns: [
      { key: "international_calls", name: "International calls", monthlyPrice: 1000, yearlyPrice: 10000 },
      { key: "device_insurance", name: "Device insurance", monthlyPrice: 1500, yearlyPrice: 15000 },
    ],
  },
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Who subscribes to what: every demo customer but the last of each tenant (ACME-0012, GLX-0010 have
 * none), plans and cycles in turn, periods started a few days to a few months ago so that they end on
 * different dates. Ann Smith (ACME-0001) is on Fixed Saver, monthly, with Boiler cover.
 */
export function demoSubscriptionPlan(tenant: keyof typeof DEMO_CATALOGUES, index: number, today: Date): { planKey: string; cycle: Cycle; addOnKeys: string[]; startAt: Date } {
  const catalogue = DEMO_CATALOGUES[tenant];
  const cycle: Cycle = index % 4 === 3 ? "yearly" : "monthly";
  const addOnKeys = [...(index % 3 === 0 ? [catalogue.addOns[0].key] : []), ...(index % 5 === 1 ? [catalogue.addOns[1].key] : [])];
  const daysAgo = cycle === "monthly" ? index + 1 : 30 * (index + 1);
  return { planKey: catalogue.plans[index % 3]!.key, cycle, addOnKeys, startAt: new Date(today.getTime() - daysAgo * DAY_MS) };
}

/** Seeds each demo tenant's catalogue and the demo customers' subscriptions, through the domain code. */
export async function seedDemoSubscriptions(db: Db, seeder: Actor, now = new Date()): Promise<void> {
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  for (const [key, prefix, count] of [
    ["acme", "ACME", 11],
    ["globex", "GLX", 9],
  ] as const) {
    const [tenant] = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.key, key));
    if (!tenant) continue;
    await putCatalogue(db, seeder, tenant.id, DEMO_CATALOGUES[key]);
    const refs = Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(4, "0")}`);
    const ids = await customerIdsByRef(db, tenant.id, refs);
    for (const [index, ref] of refs.entries()) {
      const customerId = ids.get(ref);
      if (customerId) await createSubscription(db, seeder, tenant.id, { customerId, ...demoSubscriptionPlan(key, index, today) }, now);
    }
  }
}
