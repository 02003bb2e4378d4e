"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import type { ActionResult } from "@/lib/action";
import type { CustomerSearchHit } from "@/lib/customers/search";
import { FormMessage } from "@/components/ui/form-message";
import { SearchResults } from "./search-results";

type SearchAction = (state: null, input: { q: string }) => Promise<ActionResult<CustomerSearchHit[]>>;

const DEBOUNCE_MS = 250;

function useDebounced(value: string): string {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [value]);
  return debounced;
}

/**
 * The desk's one field. Results follow the typing; Enter also puts the query in the URL, so back and
 * forward work and telephony screen-pops (`/desk?phone=…`) land on the same results.
 */
export function CustomerSearch({
  initialQuery,
  initialResults,
  searchAction,
}: {
  initialQuery: string;
  initialResults: CustomerSearchHit[];
  searchAction: SearchAction;
}) {
  const router = useRouter();
  const [query, setQuery] = useState(initialQuery);
  const term = useDebounced(query.trim());
  const search = useQuery({
    queryKey: ["customer-search", term],
    queryFn: async () => {
      const result = await searchAction(null, { q: term });
      if (!result.ok) throw new Error(result.formError ?? "Search failed");
      return result.data;
    },
    enabled: term.length > 0,
    initialData: term === initialQuery.trim() && initialQuery ? initialResults : undefined,
    placeholderData: keepPreviousData,
  });

  return (
    <div className="space-y-6">
      <form
        role="search"
        className="flex gap-2"
        onSubmit={(event) => {
          event.preventDefault();
          router.push(`/desk?q=${encodeURIComponent(query.trim())}`);
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
          maxLength={200}
          placeholder="Account reference, name, phone or email"
          aria-describedby="customer-search-hint"
          className="w-full rounded-md border border-slate-300 bg-white px-4 py-3 text-base shadow-sm focus:border-brand-600"
        />
        <button type="submit" className="rounded-md bg-brand-600 px-5 font-semibold text-white hover:bg-brand-700">
          Search
        </button>
        <p id="customer-search-hint" className="sr-only">
          Finds customers of your tenants by account reference, part of the name, phone number in any format, or email.
        </p>
      </form>

      {search.isError ? <FormMessage error={search.error.message} /> : null}
      {term && search.data ? (
        <SearchResults query={term} results={search.data} />
      ) : !term ? (
        <p className="text-sm text-slate-700">
          Search by account reference, part of the name (accents and case do not matter), phone number in any format, or email.
        </p>
      ) : null}
    </div>
  );
}
