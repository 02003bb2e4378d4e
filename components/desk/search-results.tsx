import Link from "next/link";
import { Badge } from "@/components/ui/card";
import { Table } from "@/components/ui/table";
import type { CustomerSearchHit } from "@/lib/customers/search";

export function SearchResults({ query, results }: { query: string; results: CustomerSearchHit[] }) {
  return (
    <section aria-labelledby="results-heading">
      <h2 id="results-heading" className="mb-2 text-lg font-semibold" aria-live="polite">
        {results.length === 0 ? `No customers match “${query}”` : `${results.length} ${results.length === 1 ? "customer" : "customers"} match “${query}”`}
      </h2>
      {results.length > 0 ? (
        <Table columns={["Name", "Reference", "Tenant", "Phone", "Email", "Town", "Status"]} framed>
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
        </Table>
      ) : (
        <p className="text-sm text-slate-700">Try the account reference, part of the name, the phone number or the email.</p>
      )}
    </section>
  );
}
