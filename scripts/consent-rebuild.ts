/**
 * `npm run consent:rebuild [-- --apply] [-- --tenant <key>]`: recomputes the consent projection
 * (current state per customer × purpose × channel) from the ledger and prints where `consent_state`
 * differs; `--apply` repairs it in one transaction, audited. Like `npm run seed`, never run it
 * against the PGlite folder of a running server (stop the server first).
 */
import { eq } from "drizzle-orm";
import { runAsCommand } from "@/db/command";
import { tenants } from "@/db/schema";
import { systemActor } from "@/lib/actor";
import { rebuildConsentState, type ProjectedState, type RebuildReport } from "@/lib/consent/rebuild";

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const show = (state: ProjectedState | null) =>
  state ? `${state.status} since ${state.since}${state.validUntil ? ` until ${state.validUntil}` : ""} (event ${state.eventId})` : "no row";

export function describeReport(report: RebuildReport, tenantLabel: string): string {
  const total = report.missing + report.extra + report.different;
  const lines = [
    `Consent projection of ${tenantLabel}: ${total === 0 ? "matches the ledger" : `${total} difference(s)`} (missing ${report.missing}, extra ${report.extra}, different ${report.different}).`,
  ];
  for (const d of report.differences) {
    lines.push(`  ${d.kind.padEnd(9)} tenant ${d.tenantId} customer ${d.customerId} ${d.purpose ?? d.purposeId}/${d.channel}: expected ${show(d.expected)}; found ${show(d.found)}`);
  }
  if (report.differences.length < total) lines.push(`  … and ${total - report.differences.length} more`);
  if (total > 0) lines.push(report.applied ? "Repaired (audited as consent.state_rebuilt)." : "Nothing changed; run with --apply to repair.");
  return lines.join("\n");
}

runAsCommand(import.meta.url, async ({ db }) => {
  const apply = process.argv.includes("--apply");
  const key = argument("--tenant");
  let tenantId: string | undefined;
  if (key) {
    const [tenant] = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.key, key));
    if (!tenant) throw new Error(`No tenant with the key '${key}'.`);
    tenantId = tenant.id;
  }
  const report = await rebuildConsentState(db, systemActor("npm run consent:rebuild"), { tenantId, apply });
  return describeReport(report, key ? `tenant ${key}` : "all tenants");
});
