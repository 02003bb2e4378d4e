import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { CustomerSearch } from "@/components/desk/customer-search";
import { Badge, Card } from "@/components/ui/card";
import { getDb } from "@/db/client";
import { requireStaff } from "@/lib/auth";
import { searchCustomers } from "@/lib/customers/search";
import { openCallsOf } from "@/lib/interactions/interactions";

export const metadata: Metadata = { title: "Desk" };

type Search = { q?: string; phone?: string };

export default async function DeskPage({ searchParams }: { searchParams: Promise<Search> }) {
  const staff = await requireStaff();
  const { q, phone } = await searchParams;
  const query = (phone ?? q ?? "").trim();
  const db = await getDb();
  const [results, openCalls] = await Promise.all([query ? searchCustomers(db, staff, query) : [], openCallsOf(db, staff)]);

  // Telephony screen-pop: one match for the caller's number opens the customer straight away.
  if (phone && results.length === 1) {
    redirect(`/customers/${results[0]!.id}?caller=${encodeURIComponent(phone)}`);
  }

  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-bold">Desk</h1>
      <CustomerSearch initialQuery={query} />

      {openCalls.length > 0 ? (
        <Card title="Your open calls" titleId="open-calls">
          <ul className="divide-y divide-slate-100">
            {openCalls.map((call) => (
              <li key={call.id} className="flex items-center justify-between py-2 text-sm">
                <Link href={`/customers/${call.customerId}`} className="font-semibold text-brand-700 underline">
                  {call.customerName} ({call.customerRef})
                </Link>
                <span className="text-slate-600">started {call.startedAt.toISOString().slice(11, 16)} UTC</span>
              </li>
            ))}
          </ul>
        </Card>
      ) : null}

      {query ? (
        <section aria-labelledby="results-heading">
          <h2 id="results-heading" className="mb-2 text-lg font-semibold">
            {results.length === 0 ? `No customers match “${query}”` : `${results.length} ${results.length === 1 ? "customer" : "customers"} match “${query}”`}
          </h2>
          {results.length > 0 ? (
            <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
              <table className="w-full text-left text-sm">
                <thead className="bg-slate-50 text-slate-700">
                  <tr>
                    <th scope="col" className="px-3 py-2">Name</th>
                    <th scope="col" className="px-3 py-2">Reference</th>
                    <th scope="col" className="px-3 py-2">Tenant</th>
                    <th scope="col" className="px-3 py-2">Phone</th>
                    <th scope="col" className="px-3 py-2">Email</th>
                    <th scope="col" className="px-3 py-2">Town</th>
                    <th scope="col" className="px-3 py-2">Status</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {results.map((c) => (
                    <tr key={c.id} className="hover:bg-brand-50">
                      <td className="px-3 py-2">
                        <Link href={`/customers/${c.id}`} className="font-semibold text-brand-700 underline">
                          {c.name}
                        </Link>
                      </td>
                      <td className="px-3 py-2 font-mono">{c.ref}</td>
                      <td className="px-3 py-2">{c.tenant.name}</td>
                      <td className="px-3 py-2 font-mono">{c.phone ?? "—"}</td>
                      <td className="px-3 py-2">{c.email ?? "—"}</td>
                      <td className="px-3 py-2">{c.town ?? "—"}</td>
                      <td className="px-3 py-2">
                        <Badge tone={c.status === "active" ? "good" : "neutral"}>{c.status}</Badge>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p className="text-sm text-slate-700">Try the account reference, part of the name, the phone number or the email.</p>
          )}
        </section>
      ) : (
        <p className="text-sm text-slate-700">
          Search by account reference, part of the name (accents and case do not matter), phone number in any format, or email.
        </p>
      )}
    </div>
  );
}
