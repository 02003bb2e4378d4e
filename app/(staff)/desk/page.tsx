import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { CustomerSearch } from "@/components/desk/customer-search";
import { Card } from "@/components/ui/card";
import { getDb } from "@/db/client";
import { requireStaff } from "@/lib/auth";
import { searchCustomers } from "@/lib/customers/search";
import { openCallsOf } from "@/lib/interactions/interactions";
import { searchCustomersAction } from "./actions";

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
      <CustomerSearch key={query} initialQuery={query} initialResults={results} searchAction={searchCustomersAction} />

    </div>
  );
}
