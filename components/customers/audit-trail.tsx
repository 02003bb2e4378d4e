import type { AuditEvent } from "@/db/schema";
import { Badge } from "@/components/ui/card";
import { Table } from "@/components/ui/table";

const when = (d: Date) => d.toISOString().replace("T", " ").slice(0, 19) + " UTC";

function Values({ label, values }: { label: string; values: unknown }) {
  if (!values || typeof values !== "object") return null;
  const entries = Object.entries(values as Record<string, unknown>);
  if (entries.length === 0) return null;
  return (
    <span className="text-slate-700">
      {label}:{" "}
      {entries.map(([k, v]) => `${k}=${typeof v === "object" && v !== null ? JSON.stringify(v) : String(v ?? "—")}`).join(", ")}
    </span>
  );
}

/** The customer's audit trail for supervisors and admins. Values are stored masked. */
export function AuditTrail({ events }: { events: AuditEvent[] }) {
  if (events.length === 0) return <p className="text-sm text-slate-700">No audit events.</p>;
  return (
    <Table columns={["When", "Who", "What", "Outcome", "Details"]} dense>
      {events.map((e) => (
        <tr key={e.id}>
          <td className="whitespace-nowrap py-1 pr-3 font-mono">{when(e.at)}</td>
          <td className="py-1 pr-3">{e.actorLabel ?? e.actorType}</td>
          <td className="py-1 pr-3 font-mono">{e.action}</td>
          <td className="py-1 pr-3">
            <Badge tone={e.outcome === "success" ? "good" : "bad"}>{e.outcome}</Badge>
          </td>
          <td className="space-x-2 py-1">
            <Values label="before" values={e.before} />
            <Values label="after" values={e.after} />
            {e.reason ? <span className="text-slate-700">reason: {e.reason}</span> : null}
            {e.ip ? <span className="text-slate-600">ip {e.ip}</span> : null}
          </td>
        </tr>
      ))}
    </Table>
  );
}
