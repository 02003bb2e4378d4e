import type { Db } from "@/db/client";
import type { PrivacyRequestChannel, PrivacyRequestType } from "@/db/schema";
import type { SystemActor } from "@/lib/actor";
import { confirmIdentity } from "./queue";
import { createPrivacyRequest } from "./requests";

const DAY_MS = 86_400_000;

/**
 * The demo's privacy requests, received by the brands' systems some days before the seed runs, so the
 * supervisors' queue opens with one of each situation: due soon, overdue, waiting for identity, and an
 * opt-out carried out at once.
 */
export const demoPrivacyRequests: { tenant: "acme" | "globex"; ref: string; type: PrivacyRequestType; channel: PrivacyRequestChannel; daysAgo: number; identityConfirmed: string | null }[] = [
  { tenant: "acme", ref: "ACME-0011", type: "access", channel: "email", daysAgo: 25, identityConfirmed: "Replied from the email address on file and gave the postcode on file." },
  { tenant: "acme", ref: "ACME-0012", type: "erasure", channel: "web", daysAgo: 3, identityConfirmed: null },
  { tenant: "globex", ref: "GLX-0008", type: "access", channel: "web", daysAgo: 50, identityConfirmed: "Signed in to the customer account (existing authentication)." },
  { tenant: "globex", ref: "GLX-0010", type: "opt_out_sale_share", channel: "gpc", daysAgo: 12, identityConfirmed: null },
];

export async function seedDemoPrivacyRequests(db: Db, seeder: SystemActor, tenantIds: Record<string, string>, now = new Date()): Promise<void> {
  for (const r of demoPrivacyRequests) {
    const receivedAt = new Date(now.getTime() - r.daysAgo * DAY_MS);
    const request = await createPrivacyRequest(db, seeder, tenantIds[r.tenant]!, { customer: r.ref, type: r.type, channel: r.channel, receivedAt: receivedAt.toISOString() }, receivedAt);
    if (r.identityConfirmed) await confirmIdentity(db, seeder, { requestId: request.id, version: request.version, method: r.identityConfirmed }, new Date(receivedAt.getTime() + DAY_MS));
  }
}
