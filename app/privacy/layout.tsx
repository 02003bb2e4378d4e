import type { Metadata } from "next";
import type { ReactNode } from "react";

// Pages reached from links in customers' messages (their data package): no sign-in, never indexed,
// and the token in the address is never sent on to another site as a referrer. As app/consent/layout.tsx.
export const metadata: Metadata = { robots: { index: false, follow: false }, referrer: "no-referrer" };

export default function CustomerPrivacyLinkLayout({ children }: { children: ReactNode }) {
  return (
    <main id="main" className="flex min-h-screen items-start justify-center px-4 py-10 sm:items-center">
      <div className="w-full max-w-lg rounded-lg border border-slate-200 bg-white p-6 shadow-sm">{children}</div>
    </main>
  );
}
