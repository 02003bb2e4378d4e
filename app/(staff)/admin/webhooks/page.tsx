import type { Metadata } from "next";
import { Badge, Card } from "@/components/ui/card";
import { Table } from "@/components/ui/table";
import { getDb } from "@/db/client";
import { WEBHOOK_EVENT_TYPES } from "@/db/schema";
import { requireStaff } from "@/lib/auth";
import { listTenants } from "@/lib/tenants/tenants";
import { listWebhookEndpoints, recentWebhookDeliveries, type WebhookDelivery } from "@/lib/webhooks/webhooks";
import { DisableWebhookForm, RegisterWebhookForm } from "./webhook-forms";

export const metadata: Metadata = { title: "Webhooks" };

function When({ at }: { at: Date | null }) {
  if (!at) return <>—</>;
  return <time dateTime={at.toISOString()}>{at.toISOString().slice(0, 19).replace("T", " ")} UTC</time>;
}

const STATUS_TONE: Record<WebhookDelivery["status"], "good" | "warn" | "bad" | "info"> = { delivered: "good", pending: "warn", sending: "info", failed: "bad" };

export default async function WebhooksAdminPage() {
  const admin = await requireStaff("admin");
  const db = await getDb();
  const [endpoints, deliveries, tenants] = await Promise.all([listWebhookEndpoints(db, admin), recentWebhookDeliveries(db, admin), listTenants(db, admin)]);
  const tenantName = new Map(tenants.map((t) => [t.id, t.name]));
  const endpointName = new Map(endpoints.map((e) => [e.id, e.description]));
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-bold">Webhooks</h1>
      <p className="text-sm text-slate-700">
        A tenant&apos;s systems are told of consent changes and customer updates as they happen: each event is posted as JSON, signed in the{" "}
        <code>Attest-Signature</code> header with the endpoint&apos;s secret, and retried with backoff for 24 hours until the endpoint answers 2xx. Receivers use the
        event&apos;s <code>id</code> to recognise a repeated delivery.
      </p>
      <Card title="Register an endpoint" titleId="register-endpoint">
        <RegisterWebhookForm tenants={tenants.map((t) => ({ value: t.id, label: t.name }))} eventTypes={WEBHOOK_EVENT_TYPES.map((type) => ({ value: type, label: type }))} />
      </Card>
      <Card title="Endpoints" titleId="endpoints">
        {endpoints.length === 0 ? (
          <p className="text-sm text-slate-700">No endpoints yet.</p>
        ) : (
          <Table columns={["Description", "Tenant", "URL", "Events", "Registered", "Status", { hidden: "Actions" }]}>
            {endpoints.map((e) => (
              <tr key={e.id}>
                <td className="px-3 py-2 font-medium">{e.description}</td>
                <td className="px-3 py-2">{tenantName.get(e.tenantId) ?? "—"}</td>
                <td className="px-3 py-2 font-mono text-xs break-all">{e.url}</td>
                <td className="px-3 py-2 text-xs">{e.eventTypes.join(", ")}</td>
                <td className="px-3 py-2">
                  <When at={e.createdAt} />
                </td>
                <td className="px-3 py-2">{e.disabledAt ? <Badge tone="bad">disabled</Badge> : <Badge tone="good">active</Badge>}</td>
                <td className="px-3 py-2">{e.disabledAt ? null : <DisableWebhookForm endpointId={e.id} label={e.description} />}</td>
              </tr>
            ))}
          </Table>
        )}
      </Card>
      <Card title="Recent deliveries" titleId="deliveries">
        {deliveries.length === 0 ? (
          <p className="text-sm text-slate-700">No deliveries yet.</p>
        ) : (
          <Table columns={["Queued", "Event", "Endpoint", "Status", "Attempts"]}>
            {deliveries.map((d) => (
              <tr key={d.id}>
                <td className="px-3 py-2 whitespace-nowrap">
                  <When at={d.createdAt} />
                </td>
                <td className="px-3 py-2">
                  <span className="font-medium">{d.eventType}</span>
                  {d.eventId ? <span className="block font-mono text-xs text-slate-600">id {d.eventId}</span> : null}
                  <span className="block text-xs text-slate-600">{tenantName.get(d.tenantId) ?? "—"}</span>
                </td>
                <td className="px-3 py-2">{endpointName.get(d.endpointId) ?? "—"}</td>
                <td className="px-3 py-2">
                  <Badge tone={STATUS_TONE[d.status]}>{d.status}</Badge>
                  {d.status === "delivered" ? (
                    <span className="block text-xs text-slate-600">
                      at <When at={d.deliveredAt} />
                    </span>
                  ) : null}
                  {d.status === "pending" && d.attempts > 0 ? (
                    <span className="block text-xs text-slate-600">
                      next try <When at={d.nextAttemptAt} />
                    </span>
                  ) : null}
                  {d.lastError && d.status !== "delivered" ? <span className="block text-xs text-red-800">{d.lastError}</span> : null}
                </td>
                <td className="px-3 py-2">
                  {d.attemptLog.length === 0 ? (
                    <span className="text-xs text-slate-600">none yet</span>
                  ) : (
                    <ol className="space-y-1 text-xs" aria-label={`${d.attempts} attempt${d.attempts === 1 ? "" : "s"}`}>
                      {d.attemptLog.map((a, i) => (
                        <li key={i}>
                          <When at={a.attemptedAt} /> · {a.ok ? <span className="font-semibold text-green-800">ok</span> : <span className="font-semibold text-red-800">error</span>} · {a.durationMs} ms
                          {a.error ? <span className="block text-slate-700">{a.error}</span> : null}
                        </li>
                      ))}
                    </ol>
                  )}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Card>
    </div>
  );
}
