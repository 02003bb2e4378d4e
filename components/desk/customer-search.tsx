"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";

/**
 * The desk's one field. Enter runs the search; the URL carries the query, so back/forward and
 * telephony screen-pops (`/desk?phone=…`) land on the same results.
 */
export function CustomerSearch({ initialQuery }: { initialQuery: string }) {
  const router = useRouter();
  const [query, setQuery] = useState(initialQuery);
  const [pending, startTransition] = useTransition();
  return (
    <form
      role="search"
      className="flex gap-2"
      onSubmit={(event) => {
        event.preventDefault();
        startTransition(() => router.push(`/desk?q=${encodeURIComponent(query.trim())}`));
      }}
    >
      <label htmlFor="customer-search" className="sr-only">
        Search customers
      </label>
      <input
        id="customer-search"
        name="q"
        type="search"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        autoFocus
        autoComplete="off"
        placeholder="Account reference, name, phone or email"
        aria-describedby="customer-search-hint"
        className="w-full rounded-md border border-slate-300 bg-white px-4 py-3 text-base shadow-sm focus:border-brand-600"
      />
      <button type="submit" className="rounded-md bg-brand-600 px-5 font-semibold text-white hover:bg-brand-700" disabled={pending}>
        {pending ? "Searching…" : "Search"}
      </button>
      <p id="customer-search-hint" className="sr-only">
        Finds customers of your tenants by account reference, part of the name, phone number in any format, or email.
      </p>
    </form>
  );
}
