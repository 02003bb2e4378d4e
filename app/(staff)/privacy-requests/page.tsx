import type { Metadata } from "next";
import Link from "next/link";
import { Badge } from "@/components/ui/card";
import { Table } from "@/components/ui/table";
import { getDb } from "@/db/client";
import { requireStaff } from "@/lib/auth";
import { REQUEST_TYPE_LABELS } from "@/lib/privacy-requests/messages";
import { privacyRequestQueue, privacyRequestQueueCounts, queueFilterSchema } from "@/lib/privacy-requests/queue";
import { DeadlineBadge, StatusBadge, dayWords, regimeLabel } from "./labels";

export const metadata: Metadata = { title: "Privacy requests" };

const FILTERS = [
  { value: "active", label: "Open" },
  { value: "identity_pending", label: "Identity pending" },
  { value: "awaiting_release", label: "Awaiting release" },
  { value: "completed", label: "Completed" },
  { value: "rejected", label: "Refused" },
  { value: "all", label: "All" },
] as const;

/** The supervisors' queue: every request of their brands, the most urgent first. */
export default async function PrivacyRequestsPage({ searchParams }: { searchParams: Promise<{ status?: string }> }) {
  const supervisor = await requireStaff("supervisor", "admin");
  const filter = queueFilterSchema.parse(await searchParams);
  const db = await getDb();
  const now = new Date();
  // Counted in the database over every request, not over the rows listed.
  const [queue, counts] = await Promise.all([privacyRequestQueue(db, supervisor, filter, now), privacyRequestQueueCounts(db, supervisor, filter, now)]);
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-bold">Privacy requests</h1>
      <p className="text-sm text-slate-700">
        Requests customers made on calls or through the brands&apos; systems, by due date. The clock runs from receipt (UK GDPR: from when identity was confirmed); extend
        only before the first due date, with a reason the customer is sent.
      </p>
      <nav aria-label="Filter requests" className="flex flex-wrap gap-2 text-sm">
        {FILTERS.map((f) => (
          <Link
            key={f.value}
            href={`/privacy-requests?status=${f.value}`}
            aria-current={filter.status === f.value ? "page" : undefined}
            className={`rounded-full border px-3 py-1 font-medium ${filter.status === f.value ? "border-brand-700 bg-brand-700 text-white" : "border-slate-300 bg-white text-slate-800 hover:bg-slate-50"}`}
          >
            {f.label}
          </Link>
        ))}
      </nav>
      {filter.status === "active" ? (
        <p role="status" className="text-sm font-medium text-slate-800">
          {counts.total} open · {counts.overdue} overdue · {counts.dueSoon} due within 7 days
        </p>
      ) : null}
      {counts.total > queue.length ? (
        <p className="text-sm font-medium text-amber-900">
          Showing the first {queue.length} of {counts.total} requests, by due date: the most urgent. Choose a status above to see fewer at a time.
        </p>
      ) : null}
      {queue.length === 0 ? (
        <p className="text-sm">No requests here.</p>
      ) : (
        <Table columns={["Due", "Customer", "Request", "Status", "Rule", "Received", "Assigned to"]} framed>
          {queue.map((r) => (
            <tr key={r.id} className={r.deadline === "overdue" ? "bg-red-50" : r.deadline === "due_soon" ? "bg-amber-50" : undefined}>
              <td className="px-3 py-2 whitespace-nowrap">
                <span className="font-semibold">{dayWords(r.dueAt, r.regime)}</span> <DeadlineBadge state={r.deadline} />
                {r.extended ? (
                  <span className="ml-1">
                    <Badge>extended</Badge>
                  </span>
                ) : null}
              </td>
              <td className="px-3 py-2">
                <Link href={`/privacy-requests/${r.id}`} className="font-semibold text-brand-700 underline">
                  {r.customerName}
                </Link>{" "}
                <span className="font-mono text-xs whitespace-nowrap text-slate-700">{r.customerRef}</span>
              </td>
              <td className="px-3 py-2">{REQUEST_TYPE_LABELS[r.type].split(":")[0]}</td>
              <td className="px-3 py-2">
                <StatusBadge status={r.status} />
                {r.acknowledgeBy && !r.acknowledgedAt ? (
                  <span className="ml-1">
                    <Badge tone="warn">confirm receipt by {dayWords(r.acknowledgeBy, r.regime)}</Badge>
                  </span>
                ) : null}
              </td>
              <td className="px-3 py-2">{regimeLabel(r.regime)}</td>
              <td className="px-3 py-2 whitespace-nowrap">{dayWords(r.receivedAt, r.regime)}</td>
              <td className="px-3 py-2">{r.assigneeName ?? <span className="text-slate-600">nobody</span>}</td>
            </tr>
          ))}
        </Table>
      )}
    </div>
  );
}
