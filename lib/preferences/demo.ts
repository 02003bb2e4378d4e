import type { Db } from "@/db/client";
import type { MarketingFrequency } from "@/db/schema";
import type { SystemActor } from "@/lib/actor";
import { addPreferenceTopic, importMarketingPreferences } from "./preferences";

/** Each demo brand's marketing topics, in the order they are added. */
export const demoPreferenceTopics = {
  acme: [
    { key: "energy_saving_tips", name: "Energy-saving tips" },
    { key: "tariff_news", name: "Tariff news" },
    { key: "smart_home_offers", name: "Smart home offers" },
    { key: "community_events", name: "Community events" },
  ],
  globex: [
    { key: "new_devices", name: "New devices" },
    { key: "plan_upgrades", name: "Plan upgrades" },
    { key: "streaming_bundles", name: "Streaming bundles" },
    { key: "network_news", name: "Network news" },
  ],
} as const;

/**
 * A few demo customers' preferences, chosen beside consents they hold (ACME-0002 and ACME-0003 by
 * email, GLX-0004 by SMS and phone): the topics say what those channels carry, never whether they may.
 */
export const demoCustomerPreferences: { tenant: keyof typeof demoPreferenceTopics; ref: string; topicKeys: string[]; frequency: MarketingFrequency }[] = [
  { tenant: "acme", ref: "ACME-0002", topicKeys: ["energy_saving_tips", "tariff_news"], frequency: "monthly" },
  { tenant: "acme", ref: "ACME-0003", topicKeys: ["community_events"], frequency: "quarterly" },
  { tenant: "globex", ref: "GLX-0004", topicKeys: ["new_devices", "plan_upgrades", "network_news"], frequency: "weekly" },
];

/** Seeds the demo's topic catalogues and preferences through the domain code, as the product itself. */
export async function seedDemoPreferences(db: Db, seeder: SystemActor, tenantIds: Record<string, string>): Promise<void> {
  for (const [tenant, topics] of Object.entries(demoPreferenceTopics)) {
    for (const topic of topics) await addPreferenceTopic(db, seeder, tenantIds[tenant]!, topic);
  }
  for (const { tenant, ref, topicKeys, frequency } of demoCustomerPreferences) {
    await importMarketingPreferences(db, seeder, { tenantId: tenantIds[tenant]!, customerRef: ref, topicKeys, frequency });
  }
}
